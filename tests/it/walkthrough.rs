//! The README as a newcomer meets it: its two-instance walk-through runs as written, and CLI
//! commands answer on stdout without log noise.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cooperage_db::{DatabaseTarget, PoolOptions};

use crate::support::{DEADLINE, wait_for};

/// The `sh` block that follows `marker` in README.md.
fn readme_block(marker: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("read README.md");
    let after = &readme[readme.find(marker).expect("README walk-through marker")..];
    let start = after
        .find("```sh\n")
        .expect("a ```sh block after the marker")
        + 6;
    let end = after[start..].find("```").expect("end of the block");
    after[start..start + end].to_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A `cooperage` on PATH that records its pid (so the test stops exactly the servers it
/// started) and runs the binary under test.
fn cooperage_on_path(dir: &Path, pids: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("cooperage");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ >> '{}'\nexec '{}' \"$@\"\n",
            pids.display(),
            env!("CARGO_BIN_EXE_cooperage")
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// Stops the recorded processes when the test ends, passed or not.
struct StopOnDrop(PathBuf);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let pids = std::fs::read_to_string(&self.0).unwrap_or_default();
        for pid in pids.split_whitespace() {
            let _ = Command::new("kill").arg(pid).stderr(Stdio::null()).status();
        }
    }
}

/// Environment without the test's own COOPERAGE / RUST_LOG settings.
fn clean_env(command: &mut Command) -> &mut Command {
    for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("COOPERAGE") || k == "RUST_LOG")
    {
        command.env_remove(var);
    }
    command
}

#[tokio::test]
async fn the_readme_two_instance_walkthrough_delivers_the_post() {
    let block = readme_block("To try federation on one machine");
    let tmp = tempfile::tempdir().unwrap();
    let (nord, sued) = (tmp.path().join("nord"), tmp.path().join("sued"));
    let (nord_port, sued_port) = (free_port(), free_port());
    // Only the ports and directories change; a README that stops naming them fails here.
    let mut script = block.clone();
    for (from, to) in [
        ("/tmp/nord", nord.display().to_string()),
        ("/tmp/sued", sued.display().to_string()),
        ("8081", nord_port.to_string()),
        ("8082", sued_port.to_string()),
    ] {
        assert!(
            script.contains(from),
            "the walk-through no longer names {from}:\n{block}"
        );
        script = script.replace(from, &to);
    }
    let pids = tmp.path().join("pids");
    let _stop = StopOnDrop(pids.clone());
    let bin = cooperage_on_path(tmp.path(), &pids);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (out_path, err_path) = (tmp.path().join("stdout"), tmp.path().join("stderr"));
    // Files, not pipes: the servers started in the background inherit them and keep running.
    let status = tokio::task::spawn_blocking({
        let (out, err) = (
            File::create(&out_path).unwrap(),
            File::create(&err_path).unwrap(),
        );
        let mut command = Command::new("bash");
        clean_env(&mut command)
            .args(["-euo", "pipefail", "-c", &script])
            .env("PATH", path)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        move || command.status()
    })
    .await
    .unwrap()
    .expect("run bash");
    let stdout = std::fs::read_to_string(&out_path).unwrap();
    let logs = || {
        format!(
            "stdout:\n{stdout}\nstderr:\n{}\nnord:\n{}\nsued:\n{}",
            std::fs::read_to_string(&err_path).unwrap_or_default(),
            std::fs::read_to_string(nord.join("serve.log")).unwrap_or_default(),
            std::fs::read_to_string(sued.join("serve.log")).unwrap_or_default()
        )
    };
    assert!(
        status.success(),
        "the walk-through failed ({status}):\n{}",
        logs()
    );
    assert!(
        stdout.contains(&format!("following @sued@localhost:{sued_port}"))
            && stdout.contains("queued for 1 inbox\n"),
        "{}",
        logs()
    );
    let note_id = stdout
        .lines()
        .find(|l| l.contains("/posts/"))
        .unwrap_or_else(|| panic!("no post id printed:\n{}", logs()))
        .trim()
        .to_owned();

    // The post arrives in nord's database (the serve of nord stored it).
    let target = DatabaseTarget::parse(&format!(
        "sqlite://{}",
        nord.join("data/cooperage.sqlite").display()
    ))
    .unwrap();
    let db = cooperage_db::Database::connect(&target, PoolOptions::default()).unwrap();
    let post = wait_for("the post at nord", DEADLINE, || {
        let (db, note_id) = (db.clone(), note_id.clone());
        async move {
            db.run(move |conn| cooperage_db::posts::by_ap_id(conn, &note_id))
                .await
                .ok()
                .flatten()
        }
    })
    .await;
    assert!(
        post.content.contains("Hallo aus dem Süden"),
        "{}",
        post.content
    );
    assert!(
        post.content.contains("#<span>kooperative</span></a>"),
        "{}",
        post.content
    );
}

#[test]
fn a_successful_cli_command_prints_its_answer_and_nothing_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cooperage"));
        let output = clean_env(&mut command)
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("run cooperage");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        );
        assert!(output.status.success(), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?} wrote to stderr");
        stdout
    };
    // The first command creates the database: migrations and keys are logged at info.
    let added = run(&["member", "add", "ana"]);
    assert!(
        added.starts_with("@ana@localhost:8080  http://localhost:8080/actors/ana"),
        "{added}"
    );
    let posted = run(&["post", "--as", "ana", "Hallo *Welt* #kooperative"]);
    let lines: Vec<&str> = posted.lines().collect();
    assert!(
        lines[0].starts_with("http://localhost:8080/posts/"),
        "{posted}"
    );
    assert_eq!(
        lines[1..],
        ["queued for 0 inboxes: @ana has no followers yet"]
    );
    // -v brings the logs back (a fresh database logs its migrations).
    let fresh = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_cooperage"));
    let output = clean_env(&mut command)
        .args(["-v", "migrate"])
        .current_dir(fresh.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("INFO"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in a pipe: {stderr:?}"
    );
}
