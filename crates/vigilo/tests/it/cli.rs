//! Command-line flows and configuration precedence.

use std::time::{Duration, Instant};

use vigilo_test_support::for_each_backend;

use crate::support::{Vigilo, free_port, http, org_with_admin_token, poll, send};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cli_org_and_token_flows_work_with_a_running_server() {
    for_each_backend(|db| async move {
        let v = Vigilo::new(&db);
        let server = v.serve(&[]).await;
        let client = http();

        let created = v
            .run(&["org", "create", "acme", "--display-name", "ACME Corp"])
            .await
            .ok();
        assert!(
            created.stdout.contains("created organisation acme"),
            "{created}"
        );
        let tok = v
            .run(&[
                "token", "create", "--org", "acme", "--role", "admin", "--name", "ci", "--format",
                "json",
            ])
            .await
            .ok()
            .json();
        let id = tok["id"].as_str().expect("id").to_owned();
        let secret = tok["token"].as_str().expect("token").to_owned();
        assert!(secret.starts_with("vgl_"), "{tok}");
        assert_eq!(tok["org"], "acme");
        assert_eq!(tok["role"], "admin");

        // Both authorization schemes.
        for scheme in ["Bearer", "Token"] {
            let r = send(
                client
                    .get(server.url("/api/whoami"))
                    .header("Authorization", format!("{scheme} {secret}")),
            )
            .await
            .expect("whoami")
            .expect(200);
            let who = r.json();
            assert_eq!(who["org"]["name"], "acme", "{scheme}: {who}");
            assert_eq!(who["role"], "admin", "{scheme}: {who}");
            assert_eq!(who["token_id"], id.as_str(), "{scheme}: {who}");
            assert_eq!(who["operator"], false, "{scheme}: {who}");
        }

        // The table format prints the secret alone on stdout.
        let plain = v
            .run(&["token", "create", "--org", "acme", "--name", "plain"])
            .await
            .ok();
        let plain_secret = plain.stdout.trim();
        assert!(
            plain_secret.starts_with("vgl_") && !plain_secret.contains(char::is_whitespace),
            "{plain}"
        );
        let who = send(
            client
                .get(server.url("/api/whoami"))
                .bearer_auth(plain_secret),
        )
        .await
        .expect("whoami")
        .expect(200)
        .json();
        assert_eq!(who["role"], "reader", "{who}");

        let list = v
            .run(&["token", "list", "--org", "acme", "--format", "json"])
            .await
            .ok()
            .json();
        let tokens = list.as_array().expect("array");
        assert_eq!(tokens.len(), 2, "{list}");
        assert!(tokens.iter().any(|t| t["id"] == id.as_str()));
        assert!(
            !list.to_string().contains("vgl_"),
            "token list shows a secret: {list}"
        );

        // Revoking with the CLI (another process) takes effect within the
        // token cache's TTL (1 s by default).
        v.run(&["token", "revoke", &id]).await.ok();
        let revoked_at = Instant::now();
        let stopped = poll(Duration::from_secs(3), Duration::from_millis(50), || {
            let (client, url, secret) = (client.clone(), server.url("/api/whoami"), secret.clone());
            async move {
                let r = send(client.get(url).bearer_auth(secret))
                    .await
                    .expect("whoami");
                (r.status == 401).then_some(Instant::now())
            }
        })
        .await
        .expect("the revoked token still works 3 s after `token revoke`");
        let delay = stopped - revoked_at;
        assert!(
            delay <= Duration::from_millis(1500),
            "the revoked token worked for {delay:?} after `token revoke`"
        );
        let list = v
            .run(&["token", "list", "--org", "acme", "--format", "json"])
            .await
            .ok()
            .json();
        let t = list
            .as_array()
            .expect("array")
            .iter()
            .find(|t| t["id"] == id.as_str())
            .expect("the revoked token is still listed");
        assert!(!t["revoked_at"].is_null(), "{t}");
        let table = v.run(&["token", "list", "--org", "acme"]).await.ok();
        assert!(
            table
                .stdout
                .lines()
                .any(|l| l.starts_with(&id) && l.trim_end().ends_with("revoked")),
            "{table}"
        );

        let orgs = v
            .run(&["org", "list", "--format", "json"])
            .await
            .ok()
            .json();
        let orgs = orgs.as_array().expect("array");
        let acme = orgs
            .iter()
            .find(|o| o["name"] == "acme")
            .expect("acme is listed");
        assert_eq!(acme["display_name"], "ACME Corp");
        assert_eq!(acme["status"], "active");
        assert_eq!(acme["is_operator"], false);
        assert!(
            orgs.iter()
                .any(|o| o["name"] == "hub" && o["is_operator"] == true),
            "{orgs:?}"
        );

        // Invalid names and duplicates: exit 2 with a message naming the problem.
        for bad in ["Bad_Name", "x", "1acme", "acme-"] {
            let out = v.run(&["org", "create", bad]).await.code(2);
            assert!(
                out.stderr.contains("invalid organisation name") && out.stderr.contains(bad),
                "{bad}: {out}"
            );
        }
        let dup = v.run(&["org", "create", "acme"]).await.code(2);
        assert!(dup.stderr.contains("already exists"), "{dup}");
        let missing = v.run(&["token", "create", "--org", "nope"]).await.code(2);
        assert!(missing.stderr.contains("nope"), "{missing}");
        let unknown = v.run(&["token", "revoke", "no-such-token"]).await.code(2);
        assert!(unknown.stderr.contains("no-such-token"), "{unknown}");
        let bad_role = v
            .run(&["token", "create", "--org", "acme", "--role", "boss"])
            .await;
        assert_ne!(bad_role.code, Some(0), "{bad_role}");
        assert!(bad_role.stderr.contains("boss"), "{bad_role}");

        // org disable: its tokens stop working too.
        let (_, other) = org_with_admin_token(&v, "beta").await;
        let ok = send(client.get(server.url("/api/whoami")).bearer_auth(&other))
            .await
            .expect("whoami");
        assert_eq!(ok.status, 200, "{}", ok.body);
        v.run(&["org", "disable", "beta"]).await.ok();
        let disabled = poll(Duration::from_secs(3), Duration::from_millis(50), || {
            let (client, url, other) = (client.clone(), server.url("/api/whoami"), other.clone());
            async move {
                let r = send(client.get(url).bearer_auth(other))
                    .await
                    .expect("whoami");
                (r.status == 401).then_some(())
            }
        })
        .await;
        assert!(
            disabled.is_some(),
            "a disabled organisation's token still works"
        );

        server.stop().await;
        v.run(&["audit", "verify"]).await.ok();
    })
    .await;
}

/// Writes `contents` to DIR/NAME and returns its path as a string.
fn write_file(dir: &std::path::Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("writing a test file");
    path.to_str().expect("UTF-8 path").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flags_beat_environment_beat_config_file() {
    for_each_backend(|db| async move {
        let v = Vigilo::new(&db);
        let (a, b) = loop {
            let (a, b) = (free_port(), free_port());
            if a != b {
                break (a, b);
            }
        };
        let conf_dir = tempfile::tempdir().expect("tempdir");
        let config = write_file(
            conf_dir.path(),
            "vigilo.toml",
            &format!("listen = \"127.0.0.1:{a}\"\nshutdown_grace = 5\n"),
        );
        let env_b = format!("127.0.0.1:{b}");

        // The file alone.
        let s = v.serve_raw(&["--config", &config], &[]).await;
        assert_eq!(s.addr.port(), a, "the config file's listen address is used");
        s.stop().await;

        // VIGILO_LISTEN overrides the file.
        let s = v
            .serve_raw(&["--config", &config], &[("VIGILO_LISTEN", &env_b)])
            .await;
        assert_eq!(s.addr.port(), b, "VIGILO_LISTEN overrides the file");
        s.stop().await;

        // --listen overrides both.
        let s = v
            .serve_raw(
                &["--config", &config, "--listen", "127.0.0.1:0"],
                &[("VIGILO_LISTEN", &env_b)],
            )
            .await;
        assert_ne!(s.addr.port(), a);
        assert_ne!(s.addr.port(), b);
        assert_ne!(s.addr.port(), 0);
        s.stop().await;

        // VIGILO_CONFIG names the file too.
        let s = v.serve_raw(&[], &[("VIGILO_CONFIG", &config)]).await;
        assert_eq!(s.addr.port(), a, "VIGILO_CONFIG is read");
        s.stop().await;

        // ./vigilo.toml in the working directory (the data folder) is the default.
        let cwd_config = v.data_dir().join("vigilo.toml");
        std::fs::copy(&config, &cwd_config).expect("copying the config");
        let s = v.serve_raw(&[], &[]).await;
        assert_eq!(s.addr.port(), a, "./vigilo.toml is read by default");
        s.stop().await;
        std::fs::remove_file(&cwd_config).expect("removing ./vigilo.toml");

        // An unknown key: exit 2, naming the file and the key.
        let bad = write_file(
            conf_dir.path(),
            "bad.toml",
            "listen = \"127.0.0.1:0\"\nlisten_port = 9\n",
        );
        let out = v.run(&["--config", &bad, "org", "list"]).await.code(2);
        assert!(out.stderr.contains("bad.toml"), "{out}");
        assert!(out.stderr.contains("listen_port"), "{out}");
        let mut cmd = v.command();
        cmd.args(["--config", &bad, "serve", "--listen", "127.0.0.1:0"]);
        let out = crate::support::run_command(cmd, "vigilo serve with a bad config")
            .await
            .code(2);
        assert!(out.stderr.contains("bad.toml"), "{out}");

        // A named config file that does not exist is an error, not a default.
        let out = v
            .run(&["--config", "/nonexistent/vigilo.toml", "org", "list"])
            .await
            .code(2);
        assert!(out.stderr.contains("configuration"), "{out}");
    })
    .await;
}
