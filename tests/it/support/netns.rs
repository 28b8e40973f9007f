//! Hosts for real on one Linux machine: network namespaces of the test's own, each joined by a
//! veth pair to a bridge in a hub namespace, with a real network delay on a host's link; all torn
//! down on drop, and what a killed test left behind swept by the next.
//!
//! The delay is `tc netem` where the kernel has it. Where it does not (a kernel built without
//! `CONFIG_NET_SCH_NETEM`, as some VM kernels are), it is a delay line on the host's NFQUEUE: an
//! iptables rule hands every packet the host sends to a queue, and a thread of the test gives each
//! its verdict (accept) only once the delay has passed. Either way the packets themselves wait in
//! the kernel's path, so TCP, the store's client and the lab see real network latency, not a
//! sleep in the lab's code.
//!
//! Every address (10.77.0.0/24) exists only inside the test's namespaces; nothing is added to, or
//! changed in, the machine's own network namespace.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const REQUIRE: &str = "AUTHLAB_REQUIRE_NETNS";
/// Every namespace a test makes is named `{NAME_PREFIX}{pid}-{n}-{host}`.
const NAME_PREFIX: &str = "authlab-t";
const SUBNET: &str = "10.77.0";
/// The bridge's own address in the hub (none: the hub only switches).
const HUB: &str = "hub";

/// One host: a network namespace with one interface, `eth0`, at `ip`.
#[derive(Debug, Clone)]
pub struct Host {
    /// Its name in the test (`store`, `driver`, `node1`...).
    pub name: String,
    /// The namespace's name (`ip netns exec <netns>`).
    pub netns: String,
    /// Its address on the test's network.
    pub ip: String,
}

/// How a host's link was delayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelayKind {
    /// `tc qdisc add dev eth0 root netem delay ...`.
    Netem,
    /// The NFQUEUE delay line (the kernel has no netem).
    Nfqueue,
}

/// A delay line's thread and the flag that stops it.
struct DelayLine {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The test's network: its hosts, the processes it started in them, its delay lines.
pub struct Net {
    base: String,
    hosts: Vec<Host>,
    children: Vec<Child>,
    delay_lines: Vec<DelayLine>,
}

/// Why the test cannot build namespaces here: `None` when it can.
fn missing_facility() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not running as root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)".into());
    }
    if Command::new("ip").arg("-V").output().is_err() {
        return Some("`ip` (iproute2) is not installed".into());
    }
    if Command::new("tc").arg("-V").output().is_err() {
        return Some("`tc` (iproute2) is not installed".into());
    }
    // The delay line stands in for netem where the kernel lacks it, and needs iptables' NFQUEUE.
    if Command::new("iptables").arg("-V").output().is_err() {
        return Some("`iptables` is not installed (the delay line where netem is missing needs it)".into());
    }
    None
}

/// Runs `program args`, panicking with its stderr if it fails.
fn run(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(out.status.success(), "{program} {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

/// Whether process `pid` is alive.
fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Deletes the namespaces that tests which are no longer alive left behind (a SIGKILLed test
/// cannot run its drop); only ours, by name.
fn sweep_dead_tests() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else { return };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or_default();
        let Some(rest) = name.strip_prefix(NAME_PREFIX) else { continue };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| !alive(pid)) {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

impl Net {
    /// A network of `hosts` (names), each its own namespace on one bridge; `None` with a loud
    /// message where namespaces cannot be made here, unless `AUTHLAB_REQUIRE_NETNS=1`, which makes
    /// that a failure.
    pub fn build(hosts: &[&str]) -> Option<Net> {
        if let Some(reason) = missing_facility() {
            if std::env::var(REQUIRE).as_deref() == Ok("1") {
                panic!("{reason}, and {REQUIRE}=1");
            }
            let _ = writeln!(
                std::io::stderr(),
                "\n==================================================================\n\
                 SKIPPED: {reason}; the network-namespace tests did NOT run.\n\
                 Run them as root with iproute2 installed, or set {REQUIRE}=1 to make this a failure.\n\
                 =================================================================="
            );
            return None;
        }
        sweep_dead_tests();
        static NETS: AtomicU64 = AtomicU64::new(0);
        let base = format!("{NAME_PREFIX}{}-{}-", std::process::id(), NETS.fetch_add(1, Ordering::Relaxed));
        let mut net = Net { base, hosts: Vec::new(), children: Vec::new(), delay_lines: Vec::new() };
        let hub = net.netns(HUB);
        run("ip", &["netns", "add", &hub]);
        run("ip", &["-n", &hub, "link", "add", "br0", "type", "bridge"]);
        run("ip", &["-n", &hub, "link", "set", "br0", "up"]);
        for (i, name) in hosts.iter().enumerate() {
            let netns = net.netns(name);
            let ip = format!("{SUBNET}.{}", i + 2);
            run("ip", &["netns", "add", &netns]);
            // The pair is made in the hub, its far end moved into the host as eth0.
            let port = format!("p{i}");
            run("ip", &["-n", &hub, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &netns]);
            run("ip", &["-n", &hub, "link", "set", &port, "master", "br0"]);
            run("ip", &["-n", &hub, "link", "set", &port, "up"]);
            run("ip", &["-n", &netns, "addr", "add", &format!("{ip}/24"), "dev", "eth0"]);
            run("ip", &["-n", &netns, "link", "set", "eth0", "up"]);
            run("ip", &["-n", &netns, "link", "set", "lo", "up"]);
            net.hosts.push(Host { name: (*name).to_owned(), netns, ip });
        }
        Some(net)
    }

    fn netns(&self, host: &str) -> String {
        format!("{}{host}", self.base)
    }

    /// The host called `name`.
    pub fn host(&self, name: &str) -> &Host {
        self.hosts.iter().find(|h| h.name == name).unwrap_or_else(|| panic!("no host {name}"))
    }

    /// `program` to be run inside host `name`'s namespace.
    pub fn command(&self, name: &str, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.host(name).netns, program]);
        command
    }

    /// Starts `command` (from [`Net::command`]) and keeps it, to be killed when the network goes.
    pub fn spawn(&mut self, mut command: Command) {
        let child = command.stdin(Stdio::null()).spawn().expect("a process starts in its namespace");
        self.children.push(child);
    }

    /// Delays every packet host `name` sends by `delay`: with netem where the kernel has it, or
    /// with the NFQUEUE delay line. Says which.
    pub fn delay_egress(&mut self, name: &str, delay: Duration) -> DelayKind {
        let netns = self.host(name).netns.clone();
        let ms = format!("{}ms", delay.as_secs_f64() * 1e3);
        let netem = Command::new("ip")
            .args(["netns", "exec", &netns, "tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", &ms])
            .output()
            .expect("tc runs");
        if netem.status.success() {
            return DelayKind::Netem;
        }
        let why = String::from_utf8_lossy(&netem.stderr).trim().to_owned();
        let _ =
            writeln!(std::io::stderr(), "netns: tc netem is not available here ({why}); using an NFQUEUE delay line");
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = {
            let (stop, netns) = (stop.clone(), netns.clone());
            std::thread::spawn(move || delay_line(&netns, delay, &stop, ready_tx))
        };
        let ready = ready_rx.recv_timeout(Duration::from_secs(5)).expect("the delay line binds its queue");
        self.delay_lines.push(DelayLine { stop, thread: Some(thread) });
        if let Err(e) = ready {
            panic!("the NFQUEUE delay line could not start: {e}");
        }
        // Only now hand the host's packets to the queue: `--queue-bypass` lets them through,
        // undelayed, should the queue ever go (the test's measurement then fails, loudly).
        let rule = ["-A", "OUTPUT", "-o", "eth0", "-j", "NFQUEUE", "--queue-num", "0", "--queue-bypass"];
        let out = Command::new("ip")
            .args(["netns", "exec", &netns, "iptables"])
            .args(rule)
            .output()
            .expect("iptables is installed: the NFQUEUE delay line needs it where netem is missing");
        assert!(out.status.success(), "iptables failed: {}", String::from_utf8_lossy(&out.stderr));
        DelayKind::Nfqueue
    }
}

/// The delay line's thread: joins `netns`, binds NFQUEUE 0 there, and accepts each packet once
/// `delay` has passed since it arrived, in arrival order, until `stop`.
fn delay_line(netns: &str, delay: Duration, stop: &AtomicBool, ready: std::sync::mpsc::Sender<Result<(), String>>) {
    let queue = (|| -> Result<nfq::Queue, String> {
        let file =
            std::fs::File::open(format!("/run/netns/{netns}")).map_err(|e| format!("opening the namespace: {e}"))?;
        // SAFETY: setns on this thread only, with a namespace file descriptor we hold open.
        if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(format!("setns: {}", std::io::Error::last_os_error()));
        }
        // A kernel timer (netem's) is not held up by the machine's other work; a thread is, unless
        // it runs first: real-time priority for this one thread (root may set it; if it cannot,
        // the delay line still works, with more jitter).
        let param = libc::sched_param { sched_priority: 50 };
        // SAFETY: sets this thread's own scheduling policy; the parameter outlives the call.
        let _ = unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) };
        let mut queue = nfq::Queue::open().map_err(|e| format!("opening NFQUEUE: {e}"))?;
        queue.bind(0).map_err(|e| format!("binding queue 0: {e}"))?;
        queue.set_nonblocking(true);
        Ok(queue)
    })();
    let mut queue = match queue {
        Ok(queue) => {
            let _ = ready.send(Ok(()));
            queue
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let mut held: std::collections::VecDeque<(Instant, nfq::Message)> = Default::default();
    while !stop.load(Ordering::Relaxed) {
        let mut got = false;
        while let Ok(mut message) = queue.recv() {
            message.set_verdict(nfq::Verdict::Accept);
            held.push_back((Instant::now() + delay, message));
            got = true;
        }
        let now = Instant::now();
        while held.front().is_some_and(|(due, _)| *due <= now) {
            if let Some((_, message)) = held.pop_front() {
                let _ = queue.verdict(message);
            }
        }
        if !got {
            let next = held.front().map_or(Duration::from_micros(200), |(due, _)| due.saturating_duration_since(now));
            std::thread::sleep(next.min(Duration::from_micros(200)));
        }
    }
    for (_, message) in held {
        let _ = queue.verdict(message);
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        for line in &mut self.delay_lines {
            line.stop.store(true, Ordering::Relaxed);
            if let Some(thread) = line.thread.take() {
                let _ = thread.join();
            }
        }
        for host in &self.hosts {
            let _ = Command::new("ip").args(["netns", "del", &host.netns]).status();
        }
        let _ = Command::new("ip").args(["netns", "del", &self.netns(HUB)]).status();
    }
}
