//! Running the real `vigilo` binary: one-shot CLI commands and `vigilo serve`
//! as a child process that is killed when its [`Server`] guard is dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use vigilo_test_support::{Backend, TestDb};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_vigilo");

/// How long a one-shot CLI command may take.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);

/// How long `vigilo serve` may take to log its address (PostgreSQL migrations included).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Every `VIGILO_*` variable the binary reads; removed from the children's
/// environment so the caller's shell cannot change what a test runs.
const VIGILO_ENV: &[&str] = &[
    "VIGILO_CONFIG",
    "VIGILO_DATA_DIR",
    "VIGILO_DATABASE",
    "VIGILO_KEK_FILE",
    "VIGILO_KEK",
    "VIGILO_LOG_FORMAT",
    "VIGILO_LOG",
    "VIGILO_LISTEN",
    "VIGILO_BODY_LIMIT",
    "VIGILO_TOKEN_CACHE_TTL_MS",
    "VIGILO_CHECKPOINT_INTERVAL",
    "VIGILO_SHUTDOWN_GRACE",
    "VIGILO_DB_MAX_CONNECTIONS",
    "VIGILO_PASSWORD",
    "VIGILO_HUB",
    "VIGILO_TOKEN",
];

/// What a finished CLI command left behind.
#[derive(Debug)]
pub struct Output {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Panics unless the command exited 0.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, Some(0), "command failed: {self}");
        self
    }

    /// Panics unless the command exited with `code`.
    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(self.code, Some(code), "unexpected exit status: {self}");
        self
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self}"))
    }

    /// stdout and stderr together (for matching messages wherever they go).
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the binary against one test database and its data folder.
#[derive(Debug, Clone)]
pub struct Vigilo {
    data_dir: PathBuf,
    /// `Some` on PostgreSQL; SQLite uses the default file in the data folder.
    database: Option<String>,
}

impl Vigilo {
    pub fn new(db: &TestDb) -> Self {
        Vigilo {
            data_dir: db.data_dir().to_path_buf(),
            database: (db.backend == Backend::Postgres).then(|| db.url.clone()),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The default KEK file in the data folder.
    pub fn kek_file(&self) -> PathBuf {
        self.data_dir.join("keys").join("kek")
    }

    /// The SQLite database file (only meaningful on SQLite).
    pub fn sqlite_file(&self) -> PathBuf {
        self.data_dir.join("vigilo.db")
    }

    /// A command with the global options (`--data-dir`, and `--database` on
    /// PostgreSQL), a clean `VIGILO_*` environment, and the data folder as the
    /// working directory (so no stray `./vigilo.toml` is picked up).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        for var in VIGILO_ENV {
            cmd.env_remove(var);
        }
        cmd.current_dir(&self.data_dir)
            .arg("--data-dir")
            .arg(&self.data_dir);
        if let Some(url) = &self.database {
            cmd.arg("--database").arg(url);
        }
        cmd.stdin(Stdio::null()).kill_on_drop(true);
        cmd
    }

    /// Runs `vigilo ARGS…` to completion.
    pub async fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[]).await
    }

    /// Runs `vigilo ARGS…` to completion with extra environment variables.
    pub async fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command();
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run_command(cmd, &format!("vigilo {}", args.join(" "))).await
    }

    /// Starts `vigilo serve --listen 127.0.0.1:0 --log-format json EXTRA…`.
    pub async fn serve(&self, extra: &[&str]) -> Server {
        let mut cmd = self.command();
        cmd.args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
            .args(extra);
        Server::start(cmd).await
    }

    /// Starts `vigilo serve` with exactly the given serve arguments and environment.
    pub async fn serve_raw(&self, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = self.command();
        cmd.args(["--log-format", "json", "serve"]).args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Server::start(cmd).await
    }
}

/// Runs a prepared command to completion, with a timeout.
pub async fn run_command(mut cmd: Command, what: &str) -> Output {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {what}: {e}"));
    let out = tokio::time::timeout(CLI_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {CLI_TIMEOUT:?}"))
        .unwrap_or_else(|e| panic!("waiting for {what}: {e}"));
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A running `vigilo serve`. Dropping it kills the process (SIGKILL).
#[derive(Debug)]
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// The one-time admin token of the operator organisation, printed on first start.
    pub bootstrap_token: Option<String>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Spawns `cmd`, reads its stderr until the JSON log line with `addr`,
    /// then waits until `/healthz` answers.
    pub async fn start(cmd: Command) -> Server {
        let server = Server::spawn(cmd).await;
        server.wait_until_serving().await;
        server
    }

    /// Spawns `cmd` and reads its stderr until the JSON log line with `addr`.
    pub async fn spawn(mut cmd: Command) -> Server {
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawning vigilo serve");
        let stderr = child.stderr.take().expect("piped stderr");
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let (tx, rx) = tokio::sync::oneshot::channel::<(SocketAddr, Option<String>)>();
        // Keeps draining stderr for the whole life of the process, so it never
        // blocks on a full pipe, and keeps every line for failure messages.
        tokio::spawn({
            let log = log.clone();
            async move {
                let mut lines = BufReader::new(stderr).lines();
                let mut tx = Some(tx);
                let mut token = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    let trimmed = line.trim();
                    if trimmed.starts_with("vgl_") && token.is_none() {
                        token = Some(trimmed.to_owned());
                    }
                    if let Some(addr) = listening_addr(trimmed) {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send((addr, token.clone()));
                        }
                    }
                    log.lock().unwrap_or_else(|e| e.into_inner()).push(line);
                }
            }
        });
        let started = tokio::select! {
            r = tokio::time::timeout(START_TIMEOUT, rx) => match r {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(_)) => Err("stderr closed before the listening line".to_owned()),
                Err(_) => Err(format!("no listening line within {START_TIMEOUT:?}")),
            },
            status = child.wait() => Err(format!("exited early: {status:?}")),
        };
        match started {
            Ok((addr, bootstrap_token)) => Server {
                child,
                addr,
                bootstrap_token,
                log,
            },
            Err(why) => {
                let _ = child.start_kill();
                // Let the reader task collect what is left.
                tokio::time::sleep(Duration::from_millis(200)).await;
                let text = log.lock().unwrap_or_else(|e| e.into_inner()).join("\n");
                panic!("vigilo serve did not start: {why}\n--- stderr ---\n{text}");
            }
        }
    }

    /// Waits until `/healthz` answers. The address is logged a moment before
    /// the server serves (and before its SIGTERM handler is installed), so a
    /// signal sent right after the log line could kill it ungracefully.
    async fn wait_until_serving(&self) {
        let client = http();
        let url = self.url("/healthz");
        let ok = poll(START_TIMEOUT, Duration::from_millis(10), || {
            let req = client.get(&url);
            async move { send(req).await.ok().filter(|r| r.status == 200).map(|_| ()) }
        })
        .await;
        assert!(
            ok.is_some(),
            "vigilo serve logged its address but /healthz never answered\n{}",
            self.log()
        );
    }

    /// The bootstrap token (panics when this was not the first start).
    #[track_caller]
    pub fn token(&self) -> String {
        self.bootstrap_token
            .clone()
            .expect("the first start prints a bootstrap token")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server is still running")
    }

    /// Everything the server wrote on stderr so far.
    pub fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join("\n")
    }

    /// Sends a signal (`TERM`, `KILL`, …) with kill(1).
    pub fn signal(&self, sig: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -{sig} failed: {status}");
    }

    /// SIGKILL, then reaps the process.
    pub async fn kill9(mut self) {
        self.signal("KILL");
        let _ = self.wait(Duration::from_secs(10)).await;
    }

    /// SIGTERM and waits for a clean exit (status 0).
    pub async fn stop(mut self) {
        self.signal("TERM");
        let status = self.wait(Duration::from_secs(30)).await;
        assert!(
            status.success(),
            "vigilo serve exited with {status} after SIGTERM\n{}",
            self.log()
        );
    }

    /// Waits for the process to exit.
    pub async fn wait(&mut self, timeout: Duration) -> ExitStatus {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(status)) => status,
            Ok(Err(e)) => panic!("waiting for vigilo serve: {e}"),
            Err(_) => panic!(
                "vigilo serve did not exit within {timeout:?}\n--- stderr ---\n{}",
                self.log()
            ),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// The address in a JSON log line `{"message":"vigilo hub listening","addr":…}`.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    if !line.starts_with('{') {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let message = v.get("message").or_else(|| v.pointer("/fields/message"))?;
    if message.as_str()? != "vigilo hub listening" {
        return None;
    }
    v.get("addr")
        .or_else(|| v.pointer("/fields/addr"))?
        .as_str()?
        .parse()
        .ok()
}

/// An HTTP client for tests: no proxy, a generous timeout.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("building the HTTP client")
}

/// An HTTP response read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Resp {
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "response body is not JSON ({e}): {} {}",
                self.status, self.body
            )
        })
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "unexpected response: {}", self.body);
        self
    }
}

/// Sends a request and reads the whole response.
pub async fn send(req: reqwest::RequestBuilder) -> Result<Resp, reqwest::Error> {
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = resp.text().await?;
    Ok(Resp {
        status,
        content_type,
        body,
    })
}

/// `GET path` with `Authorization: Bearer token`.
pub async fn get(client: &reqwest::Client, server: &Server, path: &str, token: &str) -> Resp {
    send(client.get(server.url(path)).bearer_auth(token))
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// `PUT path` with a JSON body and `Authorization: Bearer token`.
pub async fn put(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
    token: &str,
    body: &serde_json::Value,
) -> Resp {
    send(client.put(server.url(path)).bearer_auth(token).json(body))
        .await
        .unwrap_or_else(|e| panic!("PUT {path}: {e}"))
}

/// SHA-256 of a file in hex; a missing file hashes like an empty one.
pub fn sha256_file(path: &Path) -> String {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("reading {}: {e}", path.display()),
    };
    hex::encode(Sha256::digest(&bytes))
}

/// `path` with `suffix` appended to its file name (`vigilo.db` → `vigilo.db-wal`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding an ephemeral port")
        .port()
}

/// Polls `f` every `every` until it returns `Some`, or `timeout` passes.
pub async fn poll<T, F, Fut>(timeout: Duration, every: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(every).await;
    }
}

/// Creates an organisation and an admin token for it with the CLI; returns
/// the token's (id, secret).
pub async fn org_with_admin_token(v: &Vigilo, org: &str) -> (String, String) {
    v.run(&["org", "create", org]).await.ok();
    let out = v
        .run(&[
            "token",
            "create",
            "--org",
            org,
            "--role",
            "admin",
            "--name",
            "test admin",
            "--format",
            "json",
        ])
        .await
        .ok();
    let j = out.json();
    (
        j["id"].as_str().expect("token id").to_owned(),
        j["token"].as_str().expect("token secret").to_owned(),
    )
}

/// Counts rows of a table through the test's own connection.
pub async fn count_rows(pool: &sqlx::AnyPool, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!("SELECT CAST(count(*) AS BIGINT) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("counting {table}: {e}"))
}
