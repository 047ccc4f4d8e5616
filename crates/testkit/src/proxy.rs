//! A TCP pass-through that a test can cut and restore, to make PostgreSQL or NATS
//! unreachable for one app without stopping the server other tests share.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

pub struct Proxy {
    pub address: SocketAddr,
    up: Arc<AtomicBool>,
    /// Bumped on every cut so live connections end.
    generation: watch::Sender<u64>,
    /// Whether the port is open at all: [`Proxy::refuse`] closes it, as a stopped server's is.
    listening: watch::Sender<bool>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let (generation, _) = watch::channel(0u64);
        let (listening, mut open) = watch::channel(true);
        let accepting_up = up.clone();
        let cuts = generation.clone();
        tokio::spawn(async move {
            let mut listener = Some(listener);
            loop {
                let Some(bound) = &listener else {
                    if open.changed().await.is_err() {
                        return;
                    }
                    if *open.borrow() {
                        listener = Some(TcpListener::bind(address).await.unwrap());
                    }
                    continue;
                };
                let mut inbound = tokio::select! {
                    accepted = bound.accept() => match accepted {
                        Ok((inbound, _)) => inbound,
                        Err(_) => return,
                    },
                    changed = open.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        if !*open.borrow() {
                            listener = None;
                        }
                        continue;
                    }
                };
                if !accepting_up.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self {
            address,
            up,
            generation,
            listening,
        }
    }

    /// The dependency becomes unreachable: open connections drop, new ones are accepted and
    /// closed at once.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    /// The dependency stops, as a crashed server does: open connections drop and new ones are
    /// refused (`ECONNREFUSED`), which a client may take for a server still starting.
    pub fn refuse(&self) {
        self.cut();
        self.listening.send_replace(false);
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
        self.listening.send_replace(true);
    }
}

/// `scheme://user@host:port/rest` with `host:port` replaced by `address`.
pub fn through(url: &str, address: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (userinfo, host_and_rest) = match rest.split_once('@') {
        Some((userinfo, after)) => (Some(userinfo), after),
        None => (None, rest),
    };
    let tail = host_and_rest
        .find(['/', '?'])
        .map(|i| &host_and_rest[i..])
        .unwrap_or("");
    match userinfo {
        Some(userinfo) => format!("{scheme}://{userinfo}@{address}{tail}"),
        None => format!("{scheme}://{address}{tail}"),
    }
}

/// The socket address a `scheme://[user@]host:port/...` URL points at.
pub fn target_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let host_and_rest = rest.split_once('@').map(|(_, after)| after).unwrap_or(rest);
    let host_port = host_and_rest.split(['/', '?']).next().unwrap();
    let host_port = host_port.replace("localhost", "127.0.0.1");
    host_port
        .parse()
        .unwrap_or_else(|_| format!("{host_port}:0").parse().unwrap())
}
