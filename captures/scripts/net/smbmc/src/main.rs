//! lmsmbmc: write then read back a file over SMB 3 multichannel (smb-rs client).
//! Usage: lmsmbmc SERVER SHARE USER PASS FILE BYTES CHUNK
//! The client reads FSCTL_QUERY_NETWORK_INTERFACE_INFO over IPC$, opens one more TCP connection
//! to every other advertised address and binds the session to it (SESSION_SETUP with the binding
//! flag). Chunk i is then written, and after a reopen read, on channel i % n (n = primary + bound
//! channels), two chunks in flight per channel. Exits non-zero if fewer than 2 channels
//! (LMSMBMC_MIN_CHANNELS overrides) or the read-back differs.
use smb::connection::config::MultiChannelConfig;
use smb::{
    Client, ClientConfig, CreateOptions, FileAccessMask, FileAttributes, FileCreateArgs,
    ReadAtChannel, UncPath, WriteAtChannel,
};
use std::str::FromStr;
use std::sync::Arc;

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 8 {
        eprintln!("usage: lmsmbmc SERVER SHARE USER PASS FILE BYTES CHUNK");
        std::process::exit(2);
    }
    let (server, share, user, pass, name) = (&a[1], &a[2], &a[3], &a[4], &a[5]);
    let bytes: usize = a[6].parse()?;
    let chunk: usize = a[7].parse()?;
    let mut cfg = ClientConfig::default();
    cfg.connection.multichannel = MultiChannelConfig::Always;
    cfg.connection.timeout = Some(std::time::Duration::from_secs(20));
    let client = Client::new(cfg);
    let share_path = UncPath::from_str(&format!(r"\\{server}\{share}"))?;
    client.share_connect(&share_path, user, pass.clone()).await?;
    // get_channels: the primary channel and every bound one, keyed by channel id
    let mut ids: Vec<u32> = client.get_channels(&share_path).await?.keys().copied().collect();
    ids.sort();
    let channels: Vec<Option<u32>> = ids.iter().map(|c| Some(*c)).collect();
    eprintln!("lmsmbmc: {} channel(s), ids {:?}", channels.len(), ids);
    // LMSMBMC_MIN_CHANNELS=1 lets a run go on with the primary channel alone (a capture of a
    // session that could not bind its second NIC).
    let min_channels: usize = std::env::var("LMSMBMC_MIN_CHANNELS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    if channels.len() < min_channels {
        return Err("no second channel was bound".into());
    }
    let data: Arc<Vec<u8>> = Arc::new((0..bytes).map(|i| (i * 7 + i / 65536) as u8).collect());
    let file_path = UncPath::from_str(&format!(r"\\{server}\{share}\{name}"))?;
    let nchunks = bytes.div_ceil(chunk);
    let lanes = channels.len() * 2; // two requests in flight per channel
    for phase in ["write", "read"] {
        // reopen for the read phase: smb-rs caches end-of-file from the CREATE response
        let args = if phase == "write" {
            FileCreateArgs::make_overwrite(FileAttributes::new(), CreateOptions::new())
        } else {
            FileCreateArgs::make_open_existing(FileAccessMask::new().with_generic_read(true))
        };
        let file = Arc::new(client.create_file(&file_path, &args).await?.unwrap_file());
        let mut tasks = Vec::new();
        for lane in 0..lanes {
            let (file, data, channels) = (file.clone(), data.clone(), channels.clone());
            tasks.push(tokio::spawn(async move {
                let mut buf = vec![0u8; chunk];
                let mut i = lane;
                while i < nchunks {
                    let (off, end) = (i * chunk, ((i + 1) * chunk).min(bytes));
                    let ch = channels[i % channels.len()];
                    if phase == "write" {
                        let n = file.write_at_channel(&data[off..end], off as u64, ch).await?;
                        if n != end - off {
                            return Err(smb::Error::InvalidState(format!("short write {n}")));
                        }
                    } else {
                        let n = file.read_at_channel(&mut buf[..end - off], off as u64, ch).await?;
                        if n != end - off || buf[..n] != data[off..end] {
                            return Err(smb::Error::InvalidState(format!("bad read at {off}")));
                        }
                    }
                    i += lanes;
                }
                Ok::<(), smb::Error>(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        file.close().await?;
        eprintln!("lmsmbmc: {phase} {bytes} bytes in {nchunks} chunks of {chunk} done");
    }
    client.close().await?;
    Ok(())
}
