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
//! Reads and writes are plain non-blocking `recv` and `send` calls. A connection's `readable` and
//! `writable` flags are sticky: set by every edge the pump sees (and at registration), cleared
//! only when a `recv` comes back short or with EAGAIN (a `send` short or with EAGAIN), so no edge
//! is lost between the pump and the connection. Writability is watched so that a connection can
//! keep replies it could not send yet and wait for room (or, under an output buffer limit, go on
//! reading), instead of parking in a send that a client which does not read never completes.

use std::cell::{RefCell, RefMut};
use std::future::poll_fn;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::task::{Poll, Waker};

/// Events taken per `epoll_wait`; more are taken on the next pass.
const MAX_EVENTS: usize = 256;

struct Slot {
    /// Bumped when the slot is reused, so an event meant for an earlier connection is ignored.
    gen: u32,
    readable: bool,
    writable: bool,
    /// EPOLLOUT is in the socket's registration.
    watch_out: bool,
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
    /// Connections the pump's last round woke that have not run their commands yet (see
    /// [`Registration::others_waiting`]).
    round: std::cell::Cell<u32>,
}

const READ_EVENTS: u32 = (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLET) as u32;

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
            round: std::cell::Cell::new(0),
            slots: RefCell::default(),
        }))
    }

    /// Registers `fd` (a connected socket) and returns its registration; it starts readable and
    /// writable, so the first read and send try the socket at once.
    pub fn register(self: &Rc<Self>, fd: RawFd) -> io::Result<Registration> {
        let (idx, gen) = {
            let mut s = self.slots.borrow_mut();
            match s.free.pop() {
                Some(i) => {
                    let slot = &mut s.all[i as usize];
                    slot.gen = slot.gen.wrapping_add(1);
                    slot.readable = true;
                    slot.writable = true;
                    slot.watch_out = false;
                    slot.waker = None;
                    (i, slot.gen)
                }
                None => {
                    s.all.push(Slot {
                        gen: 0,
                        readable: true,
                        writable: true,
                        watch_out: false,
                        waker: None,
                    });
                    ((s.all.len() - 1) as u32, 0)
                }
            }
        };
        let mut ev = libc::epoll_event {
            // Write space is watched only once a send found the socket full (see `send`).
            events: READ_EVENTS,
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
            gen,
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
                    let mut woken = 0;
                    let mut s = self.slots.borrow_mut();
                    for ev in &events[..n as usize] {
                        let (idx, gen) = (ev.u64 as u32, (ev.u64 >> 32) as u32);
                        if let Some(slot) = s.all.get_mut(idx as usize) {
                            if slot.gen == gen {
                                let e = ev.events as i32;
                                let (hup, err) = (libc::EPOLLHUP, libc::EPOLLERR);
                                if e & (libc::EPOLLIN | libc::EPOLLRDHUP | hup | err) != 0 {
                                    slot.readable = true;
                                }
                                if e & (libc::EPOLLOUT | hup | err) != 0 {
                                    slot.writable = true;
                                }
                                if let Some(w) = slot.waker.take() {
                                    w.wake();
                                    woken += 1;
                                }
                            }
                        }
                    }
                    self.round.set(woken);
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
    gen: u32,
}

impl Registration {
    /// Called once the connection ran the commands it read: whether connections woken in the
    /// same round still wait to run theirs (its replies should then wait for theirs, so that
    /// all go out back to back).
    pub fn others_waiting(&self) -> bool {
        let left = self.rd.round.get().saturating_sub(1);
        self.rd.round.set(left);
        left > 0
    }

    fn slot(&self) -> RefMut<'_, Slot> {
        RefMut::map(self.rd.slots.borrow_mut(), |s| {
            &mut s.all[self.idx as usize]
        })
    }

    /// Reads what the socket has now into `buf`'s spare capacity (at most `max` bytes) and
    /// appends it: Ok(Some(0)) is end-of-file, Ok(None) means nothing is there yet (wait with
    /// [`Registration::ready`]). Only the bytes received are written, so a large spare capacity
    /// costs address space, not memory.
    pub fn recv_into(&self, buf: &mut Vec<u8>, max: usize) -> io::Result<Option<usize>> {
        if !std::mem::take(&mut self.slot().readable) {
            return Ok(None);
        }
        let spare: &mut [MaybeUninit<u8>] = buf.spare_capacity_mut();
        let (ptr, want) = (spare.as_mut_ptr(), spare.len().min(max));
        loop {
            // SAFETY: `ptr` is `buf`'s spare capacity, valid for writes of `want` bytes (recv
            // writes, never reads, them); the fd is this connection's socket, open while its
            // registration lives.
            let n = unsafe { libc::recv(self.fd, ptr.cast(), want, libc::MSG_DONTWAIT) };
            if n >= 0 {
                let n = n as usize;
                // SAFETY: recv initialised the first `n` bytes of the spare capacity.
                unsafe { buf.set_len(buf.len() + n) };
                if n == want && n > 0 {
                    // Possibly more behind it, and no new edge will say so.
                    self.slot().readable = true;
                }
                return Ok(Some(n));
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => return Ok(None),
                _ => return Err(e),
            }
        }
    }

    /// Sends what the socket takes of `data` now, without waiting: the bytes sent (0 when it is
    /// full; then [`Registration::ready`] with `write` waits for room).
    pub fn send(&self, data: &[u8]) -> io::Result<usize> {
        loop {
            // SAFETY: `data` is valid for reads of its length; the fd is this connection's socket.
            let n = unsafe {
                libc::send(
                    self.fd,
                    data.as_ptr().cast(),
                    data.len(),
                    libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                )
            };
            if n >= 0 {
                if (n as usize) < data.len() {
                    self.full()?;
                }
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => {
                    self.full()?;
                    return Ok(0);
                }
                _ => return Err(e),
            }
        }
    }

    /// A send found the socket full: from now on its write space is watched too (added to the
    /// registration only now, since an EPOLLOUT interest made every connection's sends cost
    /// wake-ups in the benchmarks).
    fn full(&self) -> io::Result<()> {
        let mut slot = self.slot();
        slot.writable = false;
        if slot.watch_out {
            return Ok(());
        }
        let mut ev = libc::epoll_event {
            events: READ_EVENTS | libc::EPOLLOUT as u32,
            u64: token(self.idx, self.gen),
        };
        // SAFETY: `ev` is a valid epoll_event for the duration of the call; the fd is ours.
        let r = unsafe {
            libc::epoll_ctl(
                self.rd.epfd.as_raw_fd(),
                libc::EPOLL_CTL_MOD,
                self.fd,
                &mut ev,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        slot.watch_out = true;
        Ok(())
    }

    /// Whether the socket may have data to read, and room to write, as far as the edges seen
    /// so far tell.
    pub fn readiness(&self) -> (bool, bool) {
        let s = self.slot();
        (s.readable, s.writable)
    }

    /// Waits until the socket may be read (`read`) or written (`write`), whichever comes first.
    pub async fn ready(&self, read: bool, write: bool) {
        poll_fn(|cx| {
            let mut slot = self.slot();
            if (read && slot.readable) || (write && slot.writable) {
                Poll::Ready(())
            } else {
                match &slot.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => slot.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        })
        .await
    }

    /// Reads what the socket has into `buf`'s spare capacity, waiting until it has something
    /// (or end-of-file or an error). Ok(0) is end-of-file.
    pub async fn read(&self, buf: &mut Vec<u8>, max: usize) -> io::Result<usize> {
        loop {
            if let Some(n) = self.recv_into(buf, max)? {
                return Ok(n);
            }
            self.ready(true, false).await;
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

    /// A set with its pump running (call on an executor).
    fn pumped() -> Rc<Readiness> {
        let rd = Readiness::new().unwrap();
        glommio::spawn_local(rd.clone().pump()).detach();
        rd
    }

    /// A socket pair with our end registered: the registration, our end (open as long as the
    /// registration is used) and the peer.
    fn registered(rd: &Rc<Readiness>) -> (Registration, UnixStream, UnixStream) {
        let (ours, peer) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        (rd.register(ours.as_raw_fd()).unwrap(), ours, peer)
    }

    #[test]
    fn reads_what_was_there_before_registering_and_all_of_a_burst() {
        on_executor(async {
            let rd = pumped();
            let (ours, mut peer) = UnixStream::pair().unwrap();
            ours.set_nonblocking(true).unwrap();
            // Written before registration: the edge happened before the set knew the socket.
            peer.write_all(b"early").unwrap();
            let reg = rd.register(ours.as_raw_fd()).unwrap();
            let mut buf = Vec::with_capacity(16);
            assert_eq!(reg.read(&mut buf, 16).await.unwrap(), 5);
            assert_eq!(&buf[..], b"early");
            // One burst several times the buffer: a single edge, read in many full reads.
            let burst: Vec<u8> = (0..100u8).cycle().take(16 * 10 + 3).collect();
            peer.write_all(&burst).unwrap();
            let mut got = Vec::new();
            while got.len() < burst.len() {
                buf.clear();
                let n = reg.read(&mut buf, 16).await.unwrap();
                assert!(n > 0);
                got.extend_from_slice(&buf);
            }
            assert_eq!(got, burst);
            // End of file once the peer closes.
            drop(peer);
            buf.clear();
            assert_eq!(reg.read(&mut buf, 16).await.unwrap(), 0);
        });
    }

    #[test]
    fn a_waiting_reader_wakes_for_later_data_and_slots_are_reused() {
        on_executor(async {
            let rd = pumped();
            for round in 0..3u8 {
                let (reg, _ours, peer) = registered(&rd);
                // Data arrives after the reader is (most likely) parked: written from another
                // thread a moment later. Correct either way; the delay only exercises the wake-up.
                let writer = std::thread::spawn(move || {
                    let mut peer = peer;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    peer.write_all(&[round; 4]).unwrap();
                    peer
                });
                let mut buf = Vec::with_capacity(8);
                assert_eq!(reg.read(&mut buf, 8).await.unwrap(), 4);
                assert_eq!(&buf[..], &[round; 4]);
                drop(writer.join().unwrap());
                assert_eq!(reg.read(&mut buf, 8).await.unwrap(), 0);
                drop(reg);
                assert_eq!(rd.slots.borrow().all.len(), 1, "the slot is reused");
            }
        });
    }

    #[test]
    fn an_executor_asleep_wakes_for_its_timers_and_for_other_threads() {
        on_executor(async {
            let rd = pumped();
            // A socket that never becomes readable: the executor has nothing to run and sleeps
            // (glommio patch item 6 keeps its timers and the ring link armed across sleeps).
            let _pair = registered(&rd);
            for _ in 0..3 {
                glommio::timer::sleep(std::time::Duration::from_millis(10)).await;
            }
            // A wake-up from another thread (as another executor wakes a blocked client or a
            // script's gate waiter): glommio's eventfd read completes (item 7's fences).
            let event = std::sync::Arc::new(event_listener::Event::new());
            for _ in 0..3 {
                let listener = event.listen();
                let notifier = event.clone();
                let t = std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    notifier.notify(1);
                });
                listener.await;
                t.join().unwrap();
            }
        });
    }

    #[test]
    fn a_full_socket_is_waited_for_and_a_send_resumes_when_it_has_room() {
        on_executor(async {
            let rd = pumped();
            let (reg, _ours, peer) = registered(&rd);
            let chunk = vec![7u8; 64 * 1024];
            let mut sent = 0;
            loop {
                let n = reg.send(&chunk).unwrap();
                sent += n;
                if n < chunk.len() {
                    break;
                }
            }
            assert_eq!(reg.send(&chunk).unwrap(), 0, "full");
            assert!(!reg.readiness().1);
            // The peer drains everything, from another thread, a moment later.
            let reader = std::thread::spawn(move || {
                let mut peer = peer;
                std::thread::sleep(std::time::Duration::from_millis(20));
                let mut buf = vec![0u8; 1 << 16];
                let mut got = 0;
                while got < sent {
                    got += std::io::Read::read(&mut peer, &mut buf).unwrap();
                }
                peer
            });
            reg.ready(false, true).await;
            assert!(reg.send(&chunk).unwrap() > 0);
            drop(reader.join().unwrap());
        });
    }
}
