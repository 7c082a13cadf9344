//! The download scenario: a large output to disk, this crate's `to_file` against curl, each in its own
//! process, the median of three by wall time.

use std::path::PathBuf;

use crate::{
    Args, Who, in_own_process,
    measure::Cost,
    simulator::{Setup, Simulator},
    workers::{Job, Kind},
};

/// One download of the download scenario.
pub struct Download {
    pub who: Who,
    pub megabytes: u64,
    pub cost: Cost,
}

impl Download {
    pub fn throughput_mb_s(&self) -> f64 {
        self.cost.bytes as f64 / 1e6 / self.cost.wall
    }
}

pub async fn downloads(args: &Args) -> Vec<Download> {
    println!("| client | size | wall (median of 3) | throughput | CPU | peak RSS | failures |");
    println!("|---|---|---|---|---|---|---|");
    let sim = Simulator::start(&Setup::default()).await;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-downloads");
    std::fs::create_dir_all(&dir).expect("a directory for downloads");
    let mut done = Vec::new();
    for megabytes in [args.download_mb / 10, args.download_mb] {
        for kind in [Kind::OursDownload, Kind::CurlDownload] {
            let out = dir.join(format!("{megabytes}MB-{kind:?}.bin"));
            let job = Job {
                url: Some(format!(
                    "{}/_simulator/blob/{}",
                    sim.delivery_url,
                    megabytes * 1_000_000
                )),
                out: Some(out.clone()),
                ..Job::new(kind, &sim, 1, 1)
            };
            // The median of three by wall time: one download of 100 MB takes a tenth of a second.
            let mut runs = Vec::new();
            for _ in 0..3 {
                runs.push(in_own_process(&job).await);
            }
            runs.sort_by(|a, b| a.wall.total_cmp(&b.wall));
            let download = Download {
                who: Who::Crate(kind),
                megabytes,
                cost: runs.swap_remove(1),
            };
            let _ = std::fs::remove_file(&out);
            println!(
                "| {} | {} MB | {:.3} s | {:.0} MB/s | {:.3} s | {:.1} MiB | {} |",
                download.who.name(),
                megabytes,
                download.cost.wall,
                download.throughput_mb_s(),
                download.cost.cpu,
                download.cost.peak_rss_kib / 1024.0,
                download.cost.failures,
            );
            done.push(download);
        }
    }
    done
}
