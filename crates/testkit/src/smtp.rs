//! A mail server for tests that speaks just enough SMTP for lettre, records every message it
//! accepts, and takes its time to confirm each one (so a test can act while a message is
//! being sent).

use std::{sync::Arc, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    sync::{Mutex, Notify},
};

pub struct SlowSmtp {
    pub port: u16,
    /// Every message whose DATA ended, confirmed or not yet.
    pub received: Arc<Mutex<Vec<String>>>,
    /// Notified when a message's DATA has ended and its confirmation is being held back.
    pub sending: Arc<Notify>,
}

impl SlowSmtp {
    /// Listens on a free port; each message is confirmed `delay` after its DATA ends.
    pub async fn start(delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let sending = Arc::new(Notify::new());
        let (kept, noticed) = (received.clone(), sending.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (received, sending) = (kept.clone(), noticed.clone());
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 test ESMTP\r\n").await;
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(message) = data.as_mut() {
                            if line == "." {
                                received.lock().await.push(std::mem::take(message));
                                data = None;
                                sending.notify_one();
                                tokio::time::sleep(delay).await;
                                let _ = write.write_all(b"250 queued\r\n").await;
                            } else {
                                message.push_str(&line);
                                message.push('\n');
                            }
                            continue;
                        }
                        let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "DATA" => {
                                data = Some(String::new());
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"250 ok\r\n",
                        };
                        if write.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self {
            port,
            received,
            sending,
        }
    }
}
