//! Read readiness of an executor's connections, through one edge-triggered epoll set.
//!
//! Why not glommio's own `TcpStream::read`: it arms a fresh io_uring poll request after every
//! read, so each request/reply round trip paid for a poll submission, its wake-up, the task work
//! that completes it and the completion's bookkeeping, about a fifth of the server's CPU per
//! non-pipelined request. Here each connection is registered once, and one pump task per executor
//! collects every connection that became readable with a single `epoll_wait`, then wakes their
//! tasks (same thread: no cross-thread wake-up). Only when nothing is ready does the pump wait, with
//! one io_uring poll on the epoll set itself (`glommio::net::wait_readable`), so an idle executor
//! still sleeps in glommio's reactor.
//!
//! Reads stay plain non-blocking `recv` calls and writes stay glommio's. A connection's `ready`
//! flag is sticky: set by every edge the pump sees (and at registration), cleared only when a
//! `recv` comes back short or with EAGAIN, so no edge is lost between the pump and the reader.

use std::cell::{RefCell, RefMut};
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::task::{Poll, Waker};

/// Events taken per `epoll_wait`; more are taken on the next pass.
const MAX_EVENTS: usize = 256;

struct Slot {
    /// Bumped when the slot is reused, so an event meant for an earlier connection is ignored.
    gen: u32,
    ready: bool,
    waker: Option<Waker>,
}

/// Connections' slots, indexed by an event's token, and the indexes free for reuse.
#[derive(Default)]
struct Slots {
    all: Vec<Slot>,
    free: Vec<u32>,
}

/// One executor's epoll set and its connections' slots (the event's token is the slot index and
/// its generation).
pub struct Readiness {
    epfd: OwnedFd,
    slots: RefCell<Slots>,
}

fn token(idx: u32, gen: u32) -> u64 {
    (u64::from(gen) << 32) | u64::from(idx)
}

impl Readiness {
    pub fn new() -> io::Result<Rc<Self>> {
        // SAFETY: epoll_create1 takes no pointers; the result is checked before use.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Rc::new(Readiness {
            // SAFETY: `fd` was just returned by epoll_create1 and is owned by nobody else.
            epfd: unsafe { OwnedFd::from_raw_fd(fd) },
            slots: RefCell::default(),
        }))
    }

    /// Registers `fd` (a connected socket) and returns its registration; it starts ready, so the
    /// first read tries the socket at once.
    pub fn register(self: &Rc<Self>, fd: RawFd) -> io::Result<Registration> {
        let (idx, gen) = {
            let mut s = self.slots.borrow_mut();
            match s.free.pop() {
                Some(i) => {
                    let slot = &mut s.all[i as usize];
                    slot.gen = slot.gen.wrapping_add(1);
                    slot.ready = true;
                    slot.waker = None;
                    (i, slot.gen)
                }
                None => {
                    s.all.push(Slot {
                        gen: 0,
                        ready: true,
                        waker: None,
                    });
                    ((s.all.len() - 1) as u32, 0)
                }
            }
        };
        let mut ev = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLET) as u32,
            u64: token(idx, gen),
        };
        // SAFETY: `ev` is a valid epoll_event for the duration of the call.
        let r = unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) };
        if r < 0 {
            self.slots.borrow_mut().free.push(idx);
            return Err(io::Error::last_os_error());
        }
        Ok(Registration {
            rd: self.clone(),
            fd,
            idx,
        })
    }

    /// The pump: marks the connections epoll reports ready and wakes their readers. Runs for the
    /// executor's lifetime (spawned detached at its start).
    pub async fn pump(self: Rc<Self>) {
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; MAX_EVENTS];
        loop {
            // SAFETY: `events` has room for MAX_EVENTS entries; timeout 0 never blocks.
            let n = unsafe {
                libc::epoll_wait(
                    self.epfd.as_raw_fd(),
                    events.as_mut_ptr(),
                    MAX_EVENTS as i32,
                    0,
                )
            };
            if n > 0 {
                {
                    let mut s = self.slots.borrow_mut();
                    for ev in &events[..n as usize] {
                        let (idx, gen) = (ev.u64 as u32, (ev.u64 >> 32) as u32);
                        if let Some(slot) = s.all.get_mut(idx as usize) {
                            if slot.gen == gen {
                                slot.ready = true;
                                if let Some(w) = slot.waker.take() {
                                    w.wake();
                                }
                            }
                        }
                    }
                }
                // Let the woken connections run before looking again.
                futures_lite::future::yield_now().await;
                continue;
            }
            if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            // Nothing ready: sleep until the set itself becomes readable.
            if glommio::net::wait_readable(self.epfd.as_raw_fd())
                .await
                .is_err()
            {
                // Not expected for an epoll set; avoid spinning if it ever happens.
                glommio::timer::sleep(std::time::Duration::from_millis(1)).await;
            }
        }
    }
}

/// A connection's place in its executor's epoll set; dropping it removes the socket from the set
/// (before the socket closes, so the slot's next user never sees its events).
pub struct Registration {
    rd: Rc<Readiness>,
    fd: RawFd,
    idx: u32,
}

impl Registration {
    fn slot(&self) -> RefMut<'_, Slot> {
        RefMut::map(self.rd.slots.borrow_mut(), |s| {
            &mut s.all[self.idx as usize]
        })
    }

    /// One non-blocking `recv` into `buf`, retried when a signal interrupts it.
    fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            // SAFETY: `buf` is valid for writes of buf.len() bytes; the fd is this connection's
            // socket, open while its registration lives.
            let n = unsafe {
                libc::recv(
                    self.fd,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Reads what the socket has into `buf`, waiting until it has something (or end-of-file or
    /// an error). Like `read`: Ok(0) is end-of-file.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let ready = std::mem::take(&mut self.slot().ready);
            if ready {
                match self.recv(buf) {
                    Ok(n) => {
                        if n == buf.len() && n > 0 {
                            // Possibly more behind it, and no new edge will say so.
                            self.slot().ready = true;
                        }
                        return Ok(n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            }
            poll_fn(|cx| {
                let mut slot = self.slot();
                if slot.ready {
                    Poll::Ready(())
                } else {
                    match &slot.waker {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        _ => slot.waker = Some(cx.waker().clone()),
                    }
                    Poll::Pending
                }
            })
            .await;
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: removing our own registration; a null event pointer is allowed for DEL.
        unsafe {
            libc::epoll_ctl(
                self.rd.epfd.as_raw_fd(),
                libc::EPOLL_CTL_DEL,
                self.fd,
                std::ptr::null_mut(),
            );
        }
        // The waker goes now (it holds the connection's task); `register` resets the rest.
        self.slot().waker = None;
        self.rd.slots.borrow_mut().free.push(self.idx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    fn on_executor(f: impl std::future::Future<Output = ()> + 'static) {
        glommio::LocalExecutorBuilder::new(glommio::Placement::Unbound)
            .io_memory(1 << 20)
            .make()
            .unwrap()
            .run(f);
    }

    #[test]
    fn reads_what_was_there_before_registering_and_all_of_a_burst() {
        on_executor(async {
            let rd = Readiness::new().unwrap();
            glommio::spawn_local(rd.clone().pump()).detach();
            let (ours, mut peer) = UnixStream::pair().unwrap();
            ours.set_nonblocking(true).unwrap();
            // Written before registration: the edge happened before the set knew the socket.
            peer.write_all(b"early").unwrap();
            let reg = rd.register(ours.as_raw_fd()).unwrap();
            let mut buf = [0u8; 16];
            assert_eq!(reg.read(&mut buf).await.unwrap(), 5);
            assert_eq!(&buf[..5], b"early");
            // One burst several times the buffer: a single edge, read in many full reads.
            let burst: Vec<u8> = (0..100u8).cycle().take(16 * 10 + 3).collect();
            peer.write_all(&burst).unwrap();
            let mut got = Vec::new();
            while got.len() < burst.len() {
                let n = reg.read(&mut buf).await.unwrap();
                assert!(n > 0);
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got, burst);
            // End of file once the peer closes.
            drop(peer);
            assert_eq!(reg.read(&mut buf).await.unwrap(), 0);
        });
    }

    #[test]
    fn a_waiting_reader_wakes_for_later_data_and_slots_are_reused() {
        on_executor(async {
            let rd = Readiness::new().unwrap();
            glommio::spawn_local(rd.clone().pump()).detach();
            for round in 0..3u8 {
                let (ours, peer) = UnixStream::pair().unwrap();
                ours.set_nonblocking(true).unwrap();
                let reg = rd.register(ours.as_raw_fd()).unwrap();
                // Data arrives after the reader is (most likely) parked: written from another
                // thread a moment later. Correct either way; the delay only exercises the wake-up.
                let writer = std::thread::spawn(move || {
                    let mut peer = peer;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    peer.write_all(&[round; 4]).unwrap();
                    peer
                });
                let mut buf = [0u8; 8];
                assert_eq!(reg.read(&mut buf).await.unwrap(), 4);
                assert_eq!(&buf[..4], &[round; 4]);
                drop(writer.join().unwrap());
                assert_eq!(reg.read(&mut buf).await.unwrap(), 0);
                drop(reg);
                assert_eq!(rd.slots.borrow().all.len(), 1, "the slot is reused");
            }
        });
    }
}
