//! Shared helpers for vigilo's tests: temporary data folders and test databases on every
//! supported backend (SQLite always, PostgreSQL when a server is configured).
//!
//! # Which backends run
//!
//! [`backends()`] always yields [`Backend::Sqlite`]. It also yields [`Backend::Postgres`] when a
//! PostgreSQL server is configured through the environment:
//!
//! * `VIGILO_TEST_POSTGRES_URL`: a `postgres://` URL of an existing database on a server where
//!   the user may `CREATE DATABASE`; or else
//! * the libpq variables `PGHOST` / `PGPORT` (at least one of them set), together with
//!   `PGUSER`, `PGPASSWORD` and `PGDATABASE`, as `pg_virtualenv` sets them. `PGHOST` may be a
//!   socket directory (starting with `/`).
//!
//! With `VIGILO_REQUIRE_POSTGRES=1`, [`backends()`] panics when no PostgreSQL server is
//! configured, so that CI cannot silently skip the PostgreSQL suite. `scripts/test` runs the
//! whole suite inside a throwaway cluster made by `pg_virtualenv` and sets that variable.
//!
//! # Databases
//!
//! Each [`TestDb`] gets its own temporary data folder. On SQLite its database is a file in that
//! folder; on PostgreSQL it is a freshly created database named `vigilo_test_<uuid>`, which is
//! dropped (best effort, `WITH (FORCE)`) when the [`TestDb`] is dropped.
//!
//! ```no_run
//! # async fn demo() {
//! vigilo_test_support::for_each_backend(|db| async move {
//!     let pool = db.any_pool().await;
//!     let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&pool).await.unwrap();
//!     assert_eq!(one, 1, "on {}", db.backend);
//! })
//! .await;
//! # }
//! ```

#![forbid(unsafe_code)]

use std::fmt;
use std::future::Future;
use std::path::Path;
use std::sync::Once;

use sqlx::Connection as _;

/// Environment variable: URL of an existing PostgreSQL database used as the admin connection.
pub const POSTGRES_URL_ENV: &str = "VIGILO_TEST_POSTGRES_URL";

/// Environment variable: when `1`, [`backends()`] panics unless PostgreSQL is configured.
pub const REQUIRE_POSTGRES_ENV: &str = "VIGILO_REQUIRE_POSTGRES";

/// Prefix of the databases created by [`TestDb::new`] on PostgreSQL.
pub const POSTGRES_DB_PREFIX: &str = "vigilo_test_";

/// A database backend vigilo supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite, a file in the test's data folder.
    Sqlite,
    /// PostgreSQL, a fresh database on the configured server.
    Postgres,
}

impl Backend {
    /// A short lowercase name: `sqlite` or `postgres`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Installs sqlx's default `Any` drivers (SQLite and PostgreSQL). Idempotent.
pub fn install_drivers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

/// The backends the tests should run on: always SQLite, plus PostgreSQL when a server is
/// configured (see the crate documentation).
///
/// # Panics
///
/// When `VIGILO_REQUIRE_POSTGRES=1` is set and no PostgreSQL server is configured.
#[must_use]
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    if postgres_admin_url().is_some() {
        backends.push(Backend::Postgres);
    } else if postgres_required() {
        panic!(
            "{REQUIRE_POSTGRES_ENV}=1 is set but no PostgreSQL server is configured: set \
             {POSTGRES_URL_ENV} to a postgres:// URL, or PGHOST/PGPORT/PGUSER/PGPASSWORD/\
             PGDATABASE (e.g. run under `pg_virtualenv`, as scripts/test does)"
        );
    }
    backends
}

/// Whether `VIGILO_REQUIRE_POSTGRES` asks for the PostgreSQL suite to be mandatory.
fn postgres_required() -> bool {
    std::env::var(REQUIRE_POSTGRES_ENV)
        .map(|v| {
            let v = v.trim();
            !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false")
        })
        .unwrap_or(false)
}

/// The URL of the PostgreSQL database used to create and drop test databases, when a server is
/// configured: `VIGILO_TEST_POSTGRES_URL`, else one built from the libpq `PG*` variables.
#[must_use]
pub fn postgres_admin_url() -> Option<String> {
    if let Some(url) = env_nonempty(POSTGRES_URL_ENV) {
        return Some(url);
    }
    let host = env_nonempty("PGHOST");
    let port = env_nonempty("PGPORT");
    if host.is_none() && port.is_none() {
        return None;
    }
    let user = env_nonempty("PGUSER")
        .or_else(|| env_nonempty("USER"))
        .unwrap_or_else(|| "postgres".to_owned());
    let database = env_nonempty("PGDATABASE").unwrap_or_else(|| user.clone());
    let password = env_nonempty("PGPASSWORD");
    Some(postgres_url_from_parts(
        host.as_deref(),
        port.as_deref(),
        &user,
        password.as_deref(),
        &database,
    ))
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Builds `postgres://user[:password]@host:port/database`; a `host` starting with `/` is a
/// socket directory and goes into the `host=` query parameter, which sqlx understands.
fn postgres_url_from_parts(
    host: Option<&str>,
    port: Option<&str>,
    user: &str,
    password: Option<&str>,
    database: &str,
) -> String {
    let port = port.unwrap_or("5432");
    let mut url = format!("postgres://{}", percent_encode(user));
    if let Some(password) = password {
        url.push(':');
        url.push_str(&percent_encode(password));
    }
    let host = host.unwrap_or("localhost");
    let socket_dir = host.starts_with('/');
    let authority_host = if socket_dir { "localhost" } else { host };
    url.push_str(&format!(
        "@{authority_host}:{port}/{}",
        percent_encode(database)
    ));
    if socket_dir {
        url.push_str("?host=");
        url.push_str(&percent_encode(host));
    }
    url
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    encode_except(s, |_| false)
}

/// Percent-encodes a filesystem path for a `sqlite://` URL (keeps `/`).
fn percent_encode_path(s: &str) -> String {
    encode_except(s, |b| b == b'/')
}

fn encode_except(s: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || keep(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Replaces the database (path) of a `postgres://` URL, keeping the query string.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{}", &base[..authority_end], percent_encode(database));
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// A database for one test, with its own temporary data folder.
///
/// On PostgreSQL the database is dropped when this value is dropped (best effort: a helper
/// thread with its own small runtime runs `DROP DATABASE ... WITH (FORCE)`; errors are
/// ignored, since the throwaway cluster `scripts/test` uses disappears anyway).
#[derive(Debug)]
pub struct TestDb {
    /// The URL to connect to, usable with `sqlx::AnyPool` (after [`install_drivers`]).
    pub url: String,
    /// The backend of this database.
    pub backend: Backend,
    /// A temporary data folder for the test, removed when this value is dropped. On SQLite it
    /// holds the database file `vigilo.db`.
    pub dir: tempfile::TempDir,
    /// On PostgreSQL: the admin URL and the name of the database to drop.
    postgres: Option<PostgresDb>,
}

#[derive(Debug)]
struct PostgresDb {
    admin_url: String,
    name: String,
}

impl TestDb {
    /// Creates a fresh, empty database on `backend`, and installs the `Any` drivers.
    ///
    /// # Panics
    ///
    /// When the temporary folder cannot be created, or, on PostgreSQL, when no server is
    /// configured or the database cannot be created.
    pub async fn new(backend: Backend) -> TestDb {
        install_drivers();
        let dir = tempfile::Builder::new()
            .prefix("vigilo-test-")
            .tempdir()
            .expect("create a temporary data folder for the test");
        match backend {
            Backend::Sqlite => {
                let path = dir.path().join("vigilo.db");
                let path = path.to_str().expect("temporary folder path is valid UTF-8");
                let url = format!("sqlite://{}?mode=rwc", percent_encode_path(path));
                TestDb {
                    url,
                    backend,
                    dir,
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url().expect(
                    "TestDb::new(Backend::Postgres) needs a PostgreSQL server: set \
                     VIGILO_TEST_POSTGRES_URL or the PG* variables (run under pg_virtualenv)",
                );
                let name = format!("{POSTGRES_DB_PREFIX}{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("connect to the PostgreSQL admin database {admin_url}: {e}")
                    });
                sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&mut admin)
                    .await
                    .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
                // Closing politely is not essential; the database exists either way.
                let _ = admin.close().await;
                let url = with_database(&admin_url, &name);
                TestDb {
                    url,
                    backend,
                    dir,
                    postgres: Some(PostgresDb { admin_url, name }),
                }
            }
        }
    }

    /// The test's temporary data folder.
    #[must_use]
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Connects an `sqlx::AnyPool` to this database.
    ///
    /// # Panics
    ///
    /// When the connection fails.
    pub async fn any_pool(&self) -> sqlx::AnyPool {
        install_drivers();
        sqlx::AnyPool::connect(&self.url).await.unwrap_or_else(|e| {
            panic!(
                "connect to the {} test database {}: {e}",
                self.backend, self.url
            )
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(pg) = self.postgres.take() else {
            return;
        };
        // Runs on its own thread with its own runtime, so it works whether or not we are inside
        // a Tokio runtime (and whichever flavour). Joined so the database is gone when `drop`
        // returns; every failure is ignored.
        let handle = std::thread::Builder::new()
            .name("vigilo-test-dropdb".to_owned())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    let Ok(mut admin) = sqlx::PgConnection::connect(&pg.admin_url).await else {
                        return;
                    };
                    let _ = sqlx::raw_sql(&format!(
                        "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                        pg.name
                    ))
                    .execute(&mut admin)
                    .await;
                    let _ = admin.close().await;
                });
            });
        if let Ok(handle) = handle {
            let _ = handle.join();
        }
    }
}

/// Runs `f` once per available backend (see [`backends()`]), each time with a fresh
/// [`TestDb`], one backend after the other.
///
/// When `f` panics, a line naming the backend is written to stderr before the panic
/// propagates, so the failing backend shows in the test output.
///
/// # Panics
///
/// When `f` panics, or as [`backends()`] and [`TestDb::new`] do.
pub async fn for_each_backend<F, Fut>(mut f: F)
where
    F: FnMut(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let guard = BackendPanicNote(backend);
        f(db).await;
        std::mem::forget(guard);
    }
}

/// Notes on stderr which backend a test body panicked on.
struct BackendPanicNote(Backend);

impl Drop for BackendPanicNote {
    // Printing is the point: the note lands in the failing test's captured output.
    #[allow(clippy::print_stderr)]
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "vigilo-test-support: test body panicked on the {} backend",
                self.0
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_from_parts_tcp() {
        assert_eq!(
            postgres_url_from_parts(
                Some("localhost"),
                Some("5433"),
                "postgres",
                Some("p@ss"),
                "postgres"
            ),
            "postgres://postgres:p%40ss@localhost:5433/postgres"
        );
        assert_eq!(
            postgres_url_from_parts(None, None, "me", None, "me"),
            "postgres://me@localhost:5432/me"
        );
    }

    #[test]
    fn url_from_parts_socket() {
        assert_eq!(
            postgres_url_from_parts(Some("/tmp/pg.x1"), Some("5432"), "u", Some("pw"), "db"),
            "postgres://u:pw@localhost:5432/db?host=%2Ftmp%2Fpg.x1"
        );
    }

    #[test]
    fn replaces_database() {
        assert_eq!(
            with_database("postgres://u:p@h:1/postgres?sslmode=disable", "x"),
            "postgres://u:p@h:1/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(
            with_database("postgres://u@localhost/db?host=%2Ftmp", "x"),
            "postgres://u@localhost/x?host=%2Ftmp"
        );
    }

    #[test]
    fn sqlite_is_always_a_backend() {
        assert_eq!(backends().first(), Some(&Backend::Sqlite));
    }

    #[test]
    fn install_drivers_is_idempotent() {
        install_drivers();
        install_drivers();
        sqlx::any::install_default_drivers();
        install_drivers();
    }

    async fn check_connect(db: &TestDb) {
        let pool = db.any_pool().await;
        let one: i32 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(one, 1);
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t (id, name) VALUES (1, 'a')")
            .execute(&pool)
            .await
            .unwrap();
        let name: String = sqlx::query_scalar("SELECT name FROM t WHERE id = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(name, "a");
        pool.close().await;
    }

    #[tokio::test]
    async fn each_available_backend_connects() {
        let mut seen = Vec::new();
        for_each_backend(|db| {
            seen.push(db.backend);
            async move {
                assert!(db.data_dir().is_dir());
                check_connect(&db).await;
            }
        })
        .await;
        assert_eq!(seen, backends());
        eprintln!("backends exercised: {seen:?}");
    }

    #[tokio::test]
    async fn sqlite_db_lives_in_data_dir() {
        let db = TestDb::new(Backend::Sqlite).await;
        check_connect(&db).await;
        assert!(db.data_dir().join("vigilo.db").is_file());
        let dir = db.data_dir().to_path_buf();
        drop(db);
        assert!(!dir.exists());
    }

    #[tokio::test]
    async fn postgres_databases_are_fresh_and_dropped() {
        if !backends().contains(&Backend::Postgres) {
            eprintln!("PostgreSQL not configured; skipping");
            return;
        }
        let a = TestDb::new(Backend::Postgres).await;
        let b = TestDb::new(Backend::Postgres).await;
        assert_ne!(a.url, b.url);
        check_connect(&a).await;
        // `b` is empty although `a` now has table t.
        check_connect(&b).await;
        let name = a
            .url
            .rsplit('/')
            .next()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        assert!(name.starts_with(POSTGRES_DB_PREFIX));
        // Keep a connection open: the drop must still succeed (WITH (FORCE)).
        let held = a.any_pool().await;
        drop(a);
        drop(held);
        let mut admin = sqlx::PgConnection::connect(&postgres_admin_url().unwrap())
            .await
            .unwrap();
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&name)
                .fetch_one(&mut admin)
                .await
                .unwrap();
        assert!(!exists, "database {name} should have been dropped");
    }
}
