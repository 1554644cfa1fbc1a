//! Where the latency scenarios run: the client's thread, the origin's thread and the threads
//! they start (tokio's blocking pool, which the disk stores use) share one CPU.
//!
//! On a small virtual machine, waking a thread that sleeps on another CPU costs an
//! inter-processor interrupt, and its price swings with what the other CPU is doing: an
//! unpinned loopback round trip here takes 35 µs or 90–130 µs from one request to the next.
//! On one CPU a round trip is two context switches, and what is left to compare is the work
//! each client does. It is also the stricter measure for a cache: the fixed round trip it is
//! compared with is smaller. The throughput scenario is not pinned (its two workers need both
//! CPUs), nor are the big-body children.

use core_affinity::CoreId;

/// The CPU the latency scenarios share: the first one the process may use, if the platform
/// lets threads be pinned.
pub(crate) fn latency_cpu() -> Option<CoreId> {
    core_affinity::get_core_ids()?.into_iter().next()
}

/// Runs `f` on a new thread pinned to `cpu` (unpinned if `cpu` is `None` or pinning fails),
/// so that the calling thread keeps its own affinity; `f` is told whether the pin took.
/// Threads `f` starts inherit the pin.
pub(crate) fn run_on<T: Send>(cpu: Option<CoreId>, f: impl FnOnce(bool) -> T + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let pinned = cpu.is_some_and(core_affinity::set_for_current);
                if let (Some(cpu), false) = (cpu, pinned) {
                    eprintln!("hcache-bench: could not pin to CPU {}; unpinned", cpu.id);
                }
                f(pinned)
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
