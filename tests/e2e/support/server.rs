//! What both test origins stand on: a listener on 127.0.0.1 (a free port) that serves each
//! connection it accepts on a task of its own, until it is stopped or dropped.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A running loopback server.
pub struct Server {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
        for c in self.connections.lock().unwrap().drain(..) {
            c.abort();
        }
    }
}

impl Server {
    /// Starts serving `serve(connection, index of the connection)` on each connection
    /// accepted.
    pub async fn start<F, Fut>(serve: F) -> Server
    where
        F: Fn(TcpStream, usize) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (accepted2, connections2) = (accepted.clone(), connections.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let n = accepted2.fetch_add(1, Ordering::SeqCst);
                let connection = tokio::spawn(serve(stream, n));
                let mut connections = connections2.lock().unwrap();
                connections.retain(|c| !c.is_finished());
                connections.push(connection);
            }
        });
        Server {
            addr,
            accepted,
            task,
            connections,
        }
    }

    /// `http://127.0.0.1:port{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Stops listening (the port then refuses connections) and breaks every open connection.
    pub async fn stop(&mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
        let connections: Vec<_> = self.connections.lock().unwrap().drain(..).collect();
        for c in connections {
            c.abort();
            let _ = c.await;
        }
    }
}
