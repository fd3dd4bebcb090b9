//! Distributed campaigns through the real binary and a real `nats-server -js` (never mocked):
//! `gevo run --executor nats` with `gevo worker` processes.
//!
//! Each test starts its own server on a free loopback port with a temporary store directory
//! and stops it at the end. Without a `nats-server` binary the tests skip with a loud message,
//! except under CI (`CI` or `GEVO_REQUIRE_NATS` set), where they fail.

mod common;
use common::*;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `nats-server`, killed on drop.
struct NatsServer {
    child: Child,
    url: String,
    port: u16,
    _store: tempfile::TempDir,
}

impl NatsServer {
    /// Kills the server (as a crash would) and starts it again on the same port and store.
    fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(500));
        self.child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string()])
            .arg("-sd")
            .arg(self._store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("restart nats-server");
        wait_listening(self.port);
    }
}

fn wait_listening(port: u16) {
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "nats-server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether `nats-server` can be run; panics under CI when it cannot.
fn have_nats_server() -> bool {
    let found = Command::new("nats-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var_os("CI").is_some() || std::env::var_os("GEVO_REQUIRE_NATS").is_some() {
            panic!("nats-server not found, and CI requires the distributed tests");
        }
        eprintln!(
            "\n*** SKIPPED: nats-server not found (apt-get install nats-server); \
             the distributed tests did not run ***\n"
        );
    }
    found
}

/// Starts `nats-server -js` on a free loopback port, with `config` (a server config file's
/// text, `{store}` replaced by the store directory) when given.
fn start_server(config: Option<&str>) -> NatsServer {
    start_server_with(config, &[], None)
}

/// [`start_server`] with environment variables for the config file and the server's log.
fn start_server_with(config: Option<&str>, env: &[(&str, &str)], log: Option<&Path>) -> NatsServer {
    let store = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = Command::new("nats-server");
    cmd.args(["-js", "-a", "127.0.0.1", "-p", &port.to_string()])
        .arg("-sd")
        .arg(store.path());
    if let Some(text) = config {
        let file = store.path().join("server.conf");
        let text = text.replace("{store}", &store.path().display().to_string());
        std::fs::write(&file, text).unwrap();
        cmd.arg("-c").arg(&file);
    }
    let err = match log {
        Some(p) => Stdio::from(std::fs::File::create(p).unwrap()),
        None => Stdio::null(),
    };
    let child = cmd
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .expect("start nats-server");
    let server = NatsServer {
        child,
        url: format!("nats://127.0.0.1:{port}"),
        port,
        _store: store,
    };
    wait_listening(port);
    server
}

/// A `gevo worker` process, stopped (SIGTERM, then kill) on drop.
struct Worker {
    child: Child,
    log: PathBuf,
}

impl Worker {
    fn start(url: &str, extra: &[&str], env: &[(&str, &str)], log: &Path) -> Worker {
        let file = std::fs::File::create(log).unwrap();
        let child = Command::new(bin())
            .args(["worker", "--nats", url, "--workers", "1"])
            .args(extra)
            .env_remove("GEVO_NATS_USER")
            .env_remove("GEVO_NATS_PASSWORD")
            .envs(env.iter().copied())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("start gevo worker");
        Worker {
            child,
            log: log.to_path_buf(),
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then waits for the exit (at most 20 s); returns whether it exited cleanly.
    fn stop(&mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The top records of `dir` without their timing.
fn top_records(dir: &Path, k: usize) -> Vec<serde_json::Value> {
    let doc = inspect(dir, k);
    doc["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("wall_secs");
            r
        })
        .collect()
}

fn sr_run(archive: &Path, budget: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--budget",
        budget,
        "--population",
        "20",
        "--tournament",
        "5",
        "--seed",
        "7",
        "--archive",
        archive.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    bounded(&args)
}

/// `gevo args…` in the repository root, killed (and the test failed) after 60 s.
fn bounded(args: &[&str]) -> std::process::Output {
    let mut c = Command::new(bin());
    c.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    run_bounded(c, Duration::from_secs(60))
}

/// Runs `cmd` to its end, killing it after `limit` (a hung campaign fails the test instead of
/// hanging it).
fn run_bounded(mut cmd: Command, limit: Duration) -> std::process::Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{cmd:?} did not finish within {limit:?}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn assert_ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_deterministic_campaign_over_nats_with_two_workers_equals_the_local_one() {
    if !have_nats_server() {
        return;
    }
    let server = start_server(None);
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local");
    let remote = dir.path().join("remote");
    assert_ok(
        &sr_run(&local, "200", &["--deterministic", "--workers", "2"]),
        "local run",
    );
    let mut w1 = Worker::start(&server.url, &[], &[], &dir.path().join("w1.log"));
    let mut w2 = Worker::start(&server.url, &[], &[], &dir.path().join("w2.log"));
    let out = sr_run(
        &remote,
        "200",
        &[
            "--deterministic",
            "--workers",
            "4",
            "--executor",
            "nats",
            "--nats",
            &server.url,
        ],
    );
    assert_ok(&out, "campaign over NATS");
    let top = top_records(&local, 30);
    assert_eq!(top.len(), 30, "the local run has 30 records to compare");
    assert_eq!(top, top_records(&remote, 30));
    let (a, b) = (inspect(&local, 1), inspect(&remote, 1));
    for k in ["candidates", "evaluations", "fec_hits", "failures"] {
        assert_eq!(a["stats"][k], b["stats"][k], "stats.{k}");
    }
    // Both workers took part, and both stop cleanly on SIGTERM.
    assert!(w1.stop(), "worker 1 did not stop cleanly:\n{}", w1.log());
    assert!(w2.stop(), "worker 2 did not stop cleanly:\n{}", w2.log());
    for w in [&w1, &w2] {
        let log = w.log();
        assert!(log.contains("stopped;"), "{log}");
        assert!(!log.contains(" 0 request(s) evaluated"), "{log}");
    }
}

#[test]
fn resume_reconnects_to_the_stored_server() {
    if !have_nats_server() {
        return;
    }
    let server = start_server(None);
    let dir = tempfile::tempdir().unwrap();
    let arch = dir.path().join("a");
    let _w = Worker::start(&server.url, &[], &[], &dir.path().join("w.log"));
    let out = sr_run(
        &arch,
        "200",
        &[
            "--deterministic",
            "--executor",
            "nats",
            "--nats",
            &server.url,
        ],
    );
    assert_ok(&out, "campaign over NATS");
    // No --nats: the stored settings name the server.
    let out = bounded(&["resume", arch.to_str().unwrap(), "--budget", "260"]);
    assert_ok(&out, "resume over NATS");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&server.url), "{stderr}");
    assert_eq!(inspect(&arch, 1)["stats"]["candidates"].as_u64(), Some(260));
}

const AUTH_CONFIG: &str = r#"
jetstream: enabled
authorization {
  users = [
    { user: "gevo", password: "right-password" }
  ]
}
"#;

#[test]
fn a_worker_with_wrong_credentials_is_refused_with_a_clear_error() {
    if !have_nats_server() {
        return;
    }
    let server = start_server(Some(AUTH_CONFIG));
    let dir = tempfile::tempdir().unwrap();
    let mut bad = Worker::start(
        &server.url,
        &[],
        &[
            ("GEVO_NATS_USER", "gevo"),
            ("GEVO_NATS_PASSWORD", "wrong-password"),
        ],
        &dir.path().join("bad.log"),
    );
    let t = Instant::now();
    let status = loop {
        if let Some(s) = bad.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "a worker with wrong credentials kept running:\n{}",
            bad.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let log = bad.log();
    assert!(log.contains("refused the credentials"), "{log}");
    assert!(
        !log.contains("wrong-password"),
        "the password is not echoed: {log}"
    );
    // Only one of the two variables: a clear error before connecting.
    let mut half = Worker::start(
        &server.url,
        &[],
        &[("GEVO_NATS_USER", "gevo")],
        &dir.path().join("half.log"),
    );
    let _ = half.child.wait();
    assert!(half.log().contains("GEVO_NATS_PASSWORD"), "{}", half.log());
    // The right ones: it serves until SIGTERM, then stops cleanly.
    let mut good = Worker::start(
        &server.url,
        &[],
        &[
            ("GEVO_NATS_USER", "gevo"),
            ("GEVO_NATS_PASSWORD", "right-password"),
        ],
        &dir.path().join("good.log"),
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        good.child.try_wait().unwrap().is_none(),
        "the worker with the right credentials exited:\n{}",
        good.log()
    );
    assert!(good.stop(), "{}", good.log());
}

/// Publishes raw request payloads with the test's own NATS client and reads the results.
fn publish_raw_and_collect(
    url: &str,
    campaign: &str,
    payloads: Vec<(u64, Vec<u8>)>,
) -> Vec<gevo::engine::nats::messages::ResultMessage> {
    use futures_util::StreamExt;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        gevo::engine::nats::request_stream(&js).await.unwrap();
        let results = gevo::engine::nats::result_stream(&js).await.unwrap();
        let consumer = results
            .create_consumer(async_nats::jetstream::consumer::pull::Config {
                filter_subject: gevo::engine::nats::result_subject(campaign),
                ..Default::default()
            })
            .await
            .unwrap();
        let n = payloads.len();
        for (candidate, payload) in payloads {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Gevo-Candidate", candidate.to_string().as_str());
            headers.insert("Gevo-Seed-Index", "0");
            js.publish_with_headers(
                gevo::engine::nats::request_subject(campaign),
                headers,
                payload.into(),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        }
        let mut messages = consumer.messages().await.unwrap();
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while out.len() < n {
            let m = tokio::time::timeout_at(deadline, messages.next())
                .await
                .expect("a result for every request")
                .unwrap()
                .unwrap();
            m.ack().await.unwrap();
            out.push(gevo::engine::nats::messages::decode(&m.payload).unwrap());
        }
        out
    })
}

/// A request from another gevo release: only the two leading fields are read.
fn other_version_request() -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Envelope {
        message_version: u32,
        gevo_version: String,
        rest: String,
    }
    gevo::engine::nats::messages::encode(&Envelope {
        message_version: gevo::engine::nats::messages::MESSAGE_VERSION,
        gevo_version: "0.0.0-other".into(),
        rest: "a layout this release does not know".into(),
    })
    .unwrap()
}

/// A well-formed request for a CSV task whose file (too large to travel in requests) is gone.
fn missing_dataset_request(dir: &Path) -> Vec<u8> {
    use gevo::engine::nats::messages::{GEVO_VERSION, MESSAGE_VERSION, RequestMessage, Workload};
    let csv = dir.join("gone.csv");
    std::fs::write(&csv, "x,y\n1,2\n2,4\n3,6\n4,8\n").unwrap();
    let mut spec = gevo::task::csv_spec(&csv, "y").unwrap();
    std::fs::remove_file(&csv).unwrap();
    let hash = spec.csv_data.as_ref().unwrap().hash.clone();
    spec.csv_data.as_mut().unwrap().text = None;
    let (_, seed) = gevo::catalog::seeds("rl_loss").into_iter().next().unwrap();
    let space = gevo::catalog::space("symbolic_regression").unwrap();
    gevo::engine::nats::messages::encode(&RequestMessage {
        message_version: MESSAGE_VERSION,
        gevo_version: GEVO_VERSION.into(),
        schema_version: gevo::archive::SCHEMA_VERSION,
        campaign: "raw-test".into(),
        candidate: 4,
        seed_index: 0,
        seed: 1,
        hurdle: None,
        time_limit_secs: None,
        program: gevo::program::Program::from_json(&seed, "seed").unwrap(),
        tag: "t4".into(),
        workload: Workload {
            space: "symbolic_regression".into(),
            space_source: space.text,
            task: serde_json::to_string(&spec).unwrap(),
            dataset_hash: Some(hash),
            device: "cpu".into(),
        },
    })
    .unwrap()
}

#[test]
fn a_campaign_whose_requests_are_all_refused_records_worker_failed_and_ends() {
    if !have_nats_server() {
        return;
    }
    let server = start_server(None);
    let dir = tempfile::tempdir().unwrap();
    // No program of the space has at most one value: every request is over the limit.
    let _w = Worker::start(
        &server.url,
        &["--max-nodes", "1"],
        &[],
        &dir.path().join("w.log"),
    );
    let arch = dir.path().join("a");
    let out = sr_run(&arch, "12", &["--executor", "nats", "--nats", &server.url]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`worker_failed`"), "{stderr}");
    let doc = inspect(&arch, 1);
    assert_eq!(doc["stats"]["candidates"].as_u64(), Some(12));
}

#[test]
fn malformed_and_oversized_requests_get_failure_results_and_the_worker_keeps_serving() {
    use gevo::engine::nats::messages::ResultBody;
    if !have_nats_server() {
        return;
    }
    let server = start_server(None);
    let dir = tempfile::tempdir().unwrap();
    let mut w = Worker::start(
        &server.url,
        &["--max-request-bytes", "200000"],
        &[],
        &dir.path().join("w.log"),
    );
    let results = publish_raw_and_collect(
        &server.url,
        "raw-test",
        vec![
            (1, b"this is not CBOR".to_vec()),
            (2, vec![0xa5; 300_000]),
            (3, other_version_request()),
            (4, missing_dataset_request(dir.path())),
        ],
    );
    let mut reasons: Vec<(u64, String)> = results
        .into_iter()
        .map(|r| match r.body {
            ResultBody::Refused { reason } => (r.candidate, reason),
            other => panic!("candidate {}: not refused: {other:?}", r.candidate),
        })
        .collect();
    reasons.sort();
    assert_eq!(reasons.len(), 4);
    assert!(reasons[0].1.contains("malformed"), "{reasons:?}");
    assert!(reasons[1].1.contains("exceeds"), "{reasons:?}");
    assert!(
        reasons[2].1.contains("gevo 0.0.0-other") && reasons[2].1.contains("same gevo release"),
        "{reasons:?}"
    );
    assert!(
        reasons[3]
            .1
            .contains("cannot read the campaign's data file"),
        "{reasons:?}"
    );
    // Still serving: a real campaign finishes on the same worker.
    let arch = dir.path().join("after");
    let out = sr_run(&arch, "40", &["--executor", "nats", "--nats", &server.url]);
    assert_ok(&out, "campaign after the bad requests");
    assert_eq!(inspect(&arch, 1)["stats"]["candidates"].as_u64(), Some(40));
    assert!(w.stop(), "{}", w.log());
}

#[test]
fn a_killed_deterministic_campaign_resumes_over_nats_to_the_local_archive() {
    if !have_nats_server() {
        return;
    }
    let server = start_server(None);
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local");
    let remote = dir.path().join("remote");
    let budget = "3000";
    assert_ok(&sr_run(&local, budget, &["--deterministic"]), "local run");
    let _w1 = Worker::start(&server.url, &[], &[], &dir.path().join("w1.log"));
    let _w2 = Worker::start(&server.url, &[], &[], &dir.path().join("w2.log"));
    let mut campaign = spawn(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--budget",
        budget,
        "--population",
        "20",
        "--tournament",
        "5",
        "--seed",
        "7",
        "--archive",
        remote.to_str().unwrap(),
        "--quiet",
        "--deterministic",
        "--executor",
        "nats",
        "--nats",
        &server.url,
    ]);
    let t = Instant::now();
    while live_candidates(&remote) < 300 {
        assert!(
            t.elapsed() < Duration::from_secs(25),
            "the campaign did not get going"
        );
        assert!(
            campaign.try_wait().unwrap().is_none(),
            "the campaign ended before it could be killed; raise the budget"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    campaign.kill().unwrap();
    campaign.wait().unwrap();
    // Workers keep answering the killed campaign's last requests meanwhile.
    std::thread::sleep(Duration::from_millis(300));
    let out = bounded(&["resume", remote.to_str().unwrap(), "--quiet"]);
    assert_ok(&out, "resume over NATS");
    let top = top_records(&local, 30);
    assert_eq!(top.len(), 30);
    assert_eq!(top, top_records(&remote, 30));
    let (a, b) = (inspect(&local, 1), inspect(&remote, 1));
    for k in ["candidates", "evaluations", "fec_hits", "failures"] {
        assert_eq!(a["stats"][k], b["stats"][k], "stats.{k}");
    }
}

/// The workers' consumer's delivered-but-unacked count and its deliveries so far.
fn worker_consumer_counts(url: &str) -> (usize, u64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let js = async_nats::jetstream::new(client);
        // (0, 0) until a worker or the campaign has created the stream and consumer.
        let Ok(stream) = js.get_stream(gevo::engine::nats::REQUEST_STREAM).await else {
            return (0, 0);
        };
        match stream
            .consumer_info(gevo::engine::nats::WORKER_CONSUMER)
            .await
        {
            Ok(info) => (info.num_ack_pending, info.delivered.consumer_sequence),
            Err(_) => (0, 0),
        }
    })
}

#[test]
fn a_worker_killed_mid_evaluation_loses_nothing_its_request_goes_to_another() {
    if !have_nats_server() {
        return;
    }
    let server = start_server(None);
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local");
    let remote = dir.path().join("remote");
    let rl = |archive: &Path| {
        vec![
            "run".to_string(),
            "--space".into(),
            "rl_loss".into(),
            "--task".into(),
            "cartpole".into(),
            "--budget".into(),
            "3".into(),
            "--population".into(),
            "3".into(),
            "--seed".into(),
            "5".into(),
            "--deterministic".into(),
            "--archive".into(),
            archive.display().to_string(),
            "--quiet".into(),
        ]
    };
    let args = rl(&local);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_ok(&bounded(&args), "local RL run");
    // A short ack_wait, so the killed worker's request moves on within the test's time.
    let env = [(gevo::engine::nats::ACK_WAIT_ENV, "2")];
    let mut w1 = Worker::start(&server.url, &[], &env, &dir.path().join("w1.log"));
    let mut args = rl(&remote);
    args.extend([
        "--executor".into(),
        "nats".into(),
        "--nats".into(),
        server.url.clone(),
    ]);
    let campaign = Command::new(bin())
        .args(&args)
        .envs(env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    loop {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no worker took a request:\n{}",
            w1.log()
        );
        if worker_consumer_counts(&server.url).0 > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    w1.child.kill().unwrap();
    w1.child.wait().unwrap();
    let mut w2 = Worker::start(&server.url, &[], &env, &dir.path().join("w2.log"));
    let out = campaign.wait_with_output().unwrap();
    assert_ok(&out, "campaign over NATS");
    // The killed worker held a request: the second one answered it (and the rest).
    assert!(w2.stop(), "{}", w2.log());
    assert!(
        !w2.log().contains(" 0 request(s) evaluated"),
        "{}",
        w2.log()
    );
    let top = top_records(&local, 3);
    assert!(!top.is_empty());
    assert_eq!(top, top_records(&remote, 3));
    let (a, b) = (inspect(&local, 1), inspect(&remote, 1));
    for k in ["candidates", "evaluations", "failures"] {
        assert_eq!(a["stats"][k], b["stats"][k], "stats.{k}");
    }
    assert_eq!(b["stats"]["candidates"].as_u64(), Some(3));
}

/// The server config of docs/distributed.md (the block after `<!-- server-config -->`), with the
/// listen address and store directory left to the command line.
fn documented_server_config() -> String {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/distributed.md"))
            .unwrap();
    let block = doc
        .split("<!-- server-config -->")
        .nth(1)
        .expect("docs/distributed.md has a server-config block");
    let block = block.split("```").nth(1).unwrap();
    block
        .lines()
        .filter(|l| !l.starts_with("listen:"))
        .map(|l| {
            if l.starts_with("jetstream") {
                "jetstream: enabled"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_documented_permissions_suffice_for_a_campaign_and_its_workers() {
    if !have_nats_server() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server_log = dir.path().join("server.log");
    let server = start_server_with(
        Some(&documented_server_config()),
        &[
            ("CAMPAIGN_PASSWORD", "c-secret"),
            ("WORKER_PASSWORD", "w-secret"),
        ],
        Some(&server_log),
    );
    let mut w = Worker::start(
        &server.url,
        &[],
        &[
            ("GEVO_NATS_USER", "worker"),
            ("GEVO_NATS_PASSWORD", "w-secret"),
        ],
        &dir.path().join("w.log"),
    );
    let arch = dir.path().join("a");
    let mut c = Command::new(bin());
    c.args([
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--budget",
        "60",
        "--population",
        "20",
        "--archive",
        arch.to_str().unwrap(),
        "--quiet",
        "--executor",
        "nats",
        "--nats",
        &server.url,
    ])
    .env("GEVO_NATS_USER", "campaign")
    .env("GEVO_NATS_PASSWORD", "c-secret");
    let out = run_bounded(c, Duration::from_secs(25));
    let log = std::fs::read_to_string(&server_log).unwrap_or_default();
    assert!(
        out.status.success(),
        "campaign under the documented permissions failed:\n{}\nworker:\n{}\nserver:\n{log}",
        String::from_utf8_lossy(&out.stderr),
        w.log()
    );
    assert!(!log.contains("Violation"), "{log}");
    assert_eq!(inspect(&arch, 1)["stats"]["candidates"].as_u64(), Some(60));
    assert!(w.stop(), "{}", w.log());
    // The block is in force: the campaign's password is not the worker's, and a worker account
    // may not publish requests.
    let mut wrong = Worker::start(
        &server.url,
        &[],
        &[
            ("GEVO_NATS_USER", "worker"),
            ("GEVO_NATS_PASSWORD", "c-secret"),
        ],
        &dir.path().join("wrong.log"),
    );
    let _ = wrong.child.wait();
    assert!(
        wrong.log().contains("refused the credentials"),
        "{}",
        wrong.log()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client =
            async_nats::ConnectOptions::with_user_and_password("worker".into(), "w-secret".into())
                .connect(server.url.as_str())
                .await
                .unwrap();
        client
            .publish("gevo.requests.forged", "x".into())
            .await
            .unwrap();
        client.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    });
    let log = std::fs::read_to_string(&server_log).unwrap_or_default();
    assert!(
        log.contains("Publish Violation") && log.contains("gevo.requests.forged"),
        "{log}"
    );
}

#[test]
fn a_server_restart_mid_campaign_is_survived_by_the_campaign_and_its_workers() {
    if !have_nats_server() {
        return;
    }
    let mut server = start_server(None);
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local");
    let remote = dir.path().join("remote");
    let budget = "3000";
    assert_ok(&sr_run(&local, budget, &["--deterministic"]), "local run");
    let _w1 = Worker::start(&server.url, &[], &[], &dir.path().join("w1.log"));
    let _w2 = Worker::start(&server.url, &[], &[], &dir.path().join("w2.log"));
    let mut c = Command::new(bin());
    c.args([
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--budget",
        budget,
        "--population",
        "20",
        "--tournament",
        "5",
        "--seed",
        "7",
        "--archive",
        remote.to_str().unwrap(),
        "--quiet",
        "--deterministic",
        "--executor",
        "nats",
        "--nats",
        &server.url,
    ]);
    let mut campaign = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while live_candidates(&remote) < 300 {
        assert!(
            t.elapsed() < Duration::from_secs(25),
            "the campaign did not get going"
        );
        assert!(
            campaign.try_wait().unwrap().is_none(),
            "ended before the restart"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server.restart();
    let t = Instant::now();
    while campaign.try_wait().unwrap().is_none() {
        if t.elapsed() > Duration::from_secs(25) {
            let _ = campaign.kill();
            let out = campaign.wait_with_output().unwrap();
            panic!(
                "the campaign did not finish after the restart:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = campaign.wait_with_output().unwrap();
    assert_ok(&out, "campaign across a server restart");
    let top = top_records(&local, 30);
    assert_eq!(top, top_records(&remote, 30));
    let (a, b) = (inspect(&local, 1), inspect(&remote, 1));
    for k in ["candidates", "evaluations", "fec_hits", "failures"] {
        assert_eq!(a["stats"][k], b["stats"][k], "stats.{k}");
    }
}

#[test]
fn a_request_that_outlives_max_deliver_workers_is_recorded_as_worker_failed() {
    if !have_nats_server() {
        return;
    }
    let server = start_server(None);
    let dir = tempfile::tempdir().unwrap();
    let arch = dir.path().join("a");
    let env = [(gevo::engine::nats::ACK_WAIT_ENV, "1")];
    let mut c = Command::new(bin());
    c.args([
        "run",
        "--space",
        "rl_loss",
        "--task",
        "cartpole",
        "--budget",
        "1",
        "--population",
        "1",
        "--archive",
        arch.to_str().unwrap(),
        "--quiet",
        "--executor",
        "nats",
        "--nats",
        &server.url,
    ])
    .envs(env);
    let campaign = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Each delivery goes to a fresh worker, killed as soon as it holds the request.
    let mut seen = 0;
    for round in 0..gevo::engine::nats::MAX_DELIVER {
        let mut w = Worker::start(
            &server.url,
            &[],
            &env,
            &dir.path().join(format!("w{round}.log")),
        );
        let t = Instant::now();
        loop {
            assert!(
                t.elapsed() < Duration::from_secs(15),
                "delivery {} did not come:\n{}",
                round + 1,
                w.log()
            );
            let (_, delivered) = worker_consumer_counts(&server.url);
            if delivered > seen {
                seen = delivered;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        w.child.kill().unwrap();
        w.child.wait().unwrap();
    }
    // The server notices the exhausted request when a worker next asks for work.
    let _last = Worker::start(&server.url, &[], &env, &dir.path().join("last.log"));
    let t = Instant::now();
    let mut campaign = campaign;
    while campaign.try_wait().unwrap().is_none() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the campaign did not give the request up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = campaign.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("`worker_failed`"), "{stderr}");
    assert_eq!(inspect(&arch, 1)["stats"]["candidates"].as_u64(), Some(1));
}

/// A throw-away CA and a server certificate for 127.0.0.1 (openssl); `None` without openssl.
fn test_certificates(dir: &Path) -> Option<()> {
    let run = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let ok = run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=gevo test CA",
    ]) && run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server-key.pem",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]) && run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca-key.pem",
        "-CAcreateserial",
        "-out",
        "server-cert.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    ok.then_some(())
}

#[test]
fn tls_with_the_campaigns_ca_works_and_an_unknown_server_certificate_is_refused() {
    if !have_nats_server() {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    if test_certificates(certs.path()).is_none() {
        eprintln!("\n*** SKIPPED: openssl not found; the TLS test did not run ***\n");
        return;
    }
    let c = certs.path().display().to_string();
    let config = format!(
        "jetstream: enabled\ntls {{\n  cert_file: \"{c}/server-cert.pem\"\n  key_file: \"{c}/server-key.pem\"\n}}\n"
    );
    let server = start_server(Some(&config));
    let url = server.url.replace("nats://", "tls://");
    let ca = certs.path().join("ca.pem");
    let ca = ca.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Without the CA the server's certificate is unknown: a clear error, no connection.
    let mut untrusting = Worker::start(&url, &[], &[], &dir.path().join("untrusting.log"));
    let _ = untrusting.child.wait();
    assert!(
        untrusting
            .log()
            .contains("cannot connect to the NATS server"),
        "{}",
        untrusting.log()
    );
    let mut w = Worker::start(&url, &["--nats-tls-ca", ca], &[], &dir.path().join("w.log"));
    let arch = dir.path().join("a");
    let out = sr_run(
        &arch,
        "40",
        &["--executor", "nats", "--nats", &url, "--nats-tls-ca", ca],
    );
    assert_ok(&out, "campaign over TLS");
    assert_eq!(inspect(&arch, 1)["stats"]["candidates"].as_u64(), Some(40));
    assert!(w.stop(), "{}", w.log());
}

/// Two network namespaces joined by a veth link (server side 10.213.0.1, client side
/// 10.213.0.2), deleted on drop.
struct Netns {
    server: String,
    client: String,
}

impl Netns {
    /// `None` (with a message) where network namespaces cannot be made (not root, no `ip`).
    fn create() -> Option<Netns> {
        let id = std::process::id();
        let ns = Netns {
            server: format!("gevo-s{id}"),
            client: format!("gevo-c{id}"),
        };
        let (vs, vc) = (format!("gvs{id}"), format!("gvc{id}"));
        let ip = |args: &[&str]| {
            Command::new("ip")
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !ip(&["netns", "add", &ns.server]) {
            eprintln!(
                "\n*** SKIPPED: network namespaces not permitted here (ip netns add failed); \
                 the multi-host test did not run ***\n"
            );
            return None;
        }
        let ok = ip(&["netns", "add", &ns.client])
            && ip(&["link", "add", &vs, "type", "veth", "peer", "name", &vc])
            && ip(&["link", "set", &vs, "netns", &ns.server])
            && ip(&["link", "set", &vc, "netns", &ns.client])
            && ip(&["-n", &ns.server, "addr", "add", "10.213.0.1/24", "dev", &vs])
            && ip(&["-n", &ns.client, "addr", "add", "10.213.0.2/24", "dev", &vc])
            && ip(&["-n", &ns.server, "link", "set", &vs, "up"])
            && ip(&["-n", &ns.client, "link", "set", &vc, "up"])
            && ip(&["-n", &ns.server, "link", "set", "lo", "up"])
            && ip(&["-n", &ns.client, "link", "set", "lo", "up"]);
        assert!(ok, "cannot set up the veth link between the namespaces");
        Some(ns)
    }

    /// A command run inside namespace `ns`.
    fn exec(ns: &str, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, program]);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in [&self.server, &self.client] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Kills a child on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn workers_in_another_network_namespace_reach_the_server_over_a_veth_link() {
    if !have_nats_server() {
        return;
    }
    let Some(ns) = Netns::create() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let _server = Killed(
        Netns::exec(&ns.server, "nats-server")
            .args(["-js", "-a", "10.213.0.1", "-p", "4222", "-sd"])
            .arg(dir.path().join("store"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = "nats://10.213.0.1:4222";
    let t = Instant::now();
    while !Netns::exec(&ns.client, "bash")
        .args(["-c", "echo > /dev/tcp/10.213.0.1/4222"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the server is not reachable over the veth link"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let worker = |name: &str| {
        let log = std::fs::File::create(dir.path().join(name)).unwrap();
        Killed(
            Netns::exec(&ns.client, bin())
                .args(["worker", "--nats", url, "--workers", "1"])
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap(),
        )
    };
    let _w1 = worker("w1.log");
    let _w2 = worker("w2.log");
    let local = dir.path().join("local");
    let remote = dir.path().join("remote");
    assert_ok(&sr_run(&local, "200", &["--deterministic"]), "local run");
    let mut c = Netns::exec(&ns.client, bin());
    c.args([
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--budget",
        "200",
        "--population",
        "20",
        "--tournament",
        "5",
        "--seed",
        "7",
        "--archive",
        remote.to_str().unwrap(),
        "--quiet",
        "--deterministic",
        "--executor",
        "nats",
        "--nats",
        url,
    ])
    .current_dir(env!("CARGO_MANIFEST_DIR"));
    assert_ok(
        &run_bounded(c, Duration::from_secs(60)),
        "campaign in the client namespace",
    );
    assert_eq!(top_records(&local, 30), top_records(&remote, 30));
}
