//! What every CLI test needs: the `stele` binary and the result of a run.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

/// The `stele` binary, built once for this test run.
pub fn stele() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "stele-cli", "--bin", "stele"])
            .current_dir(&root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building stele failed");
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        target.join("debug").join("stele")
    })
}

/// One finished `stele` run.
pub struct Run {
    /// Exit status.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// What a finished `stele` printed and returned; a panic (exit code
    /// 101, or "panicked" on stderr) fails the test whatever it expected.
    pub fn of(out: std::process::Output) -> Run {
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(
            run.code != 101 && !run.stderr.contains("panicked"),
            "stele panicked: {}",
            run.stderr
        );
        run
    }

    /// Standard output as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {} / {}",
                self.stdout, self.stderr
            )
        })
    }

    /// The reason codes of a verdict.
    pub fn reasons(&self) -> Vec<String> {
        self.json()["reasons"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r["code"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}
