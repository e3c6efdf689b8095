//! `--pin`: the gateway on a CPU of its own, everything else on the others.
//!
//! On a small VM the scheduler places the driver, the backend and the gateway anew in every run,
//! and the gateway's CPU per call moves by a third with the placement (instruction counts and
//! system calls per call stay put). Pinned, the gateway never shares its CPU and never migrates;
//! the rest of the machine drives it.

use std::io;

/// Which CPUs the gateway gets and which the rest of the benchmark keeps.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The gateways (and the reference byte relay, which stands where a gateway would).
    pub gateway: Vec<usize>,
    /// This driver, the backends, and the processes a gateway starts.
    pub others: Vec<usize>,
}

impl Placement {
    /// The last CPU this process may use for gateways, the others for the rest; `None` with
    /// fewer than two.
    pub fn split() -> io::Result<Option<Placement>> {
        let mut cpus = allowed()?;
        let Some(last) = cpus.pop() else {
            return Ok(None);
        };
        if cpus.is_empty() {
            return Ok(None);
        }
        Ok(Some(Placement {
            gateway: vec![last],
            others: cpus,
        }))
    }

    /// Restricts the calling thread, and the threads and processes it starts from now on, to
    /// the others' CPUs. Called before the driver's runtime starts any thread.
    pub fn confine_self(&self) -> io::Result<()> {
        set(0, &set_of(&self.others))
    }
}

/// The CPUs this process may run on.
fn allowed() -> io::Result<Vec<usize>> {
    // SAFETY: cpu_set_t is plain data; zeroed is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: the pointer and size describe `set`, which lives across the call.
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu` is below CPU_SETSIZE, the bound CPU_ISSET reads within.
        .filter(|cpu| unsafe { libc::CPU_ISSET(*cpu, &set) })
        .collect())
}

/// The kernel's set of `cpus`.
pub fn set_of(cpus: &[usize]) -> libc::cpu_set_t {
    // SAFETY: cpu_set_t is plain data; zeroed is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for cpu in cpus.iter().filter(|cpu| **cpu < libc::CPU_SETSIZE as usize) {
        // SAFETY: `cpu` is below CPU_SETSIZE, the bound CPU_SET writes within.
        unsafe { libc::CPU_SET(*cpu, &mut set) };
    }
    set
}

/// Restricts thread `tid` (0: the calling thread) to `set`. Only a system call: safe to use
/// between fork and exec.
pub fn set(tid: libc::pid_t, set: &libc::cpu_set_t) -> io::Result<()> {
    // SAFETY: the pointer and size describe `set`, which outlives the call.
    let rc = unsafe { libc::sched_setaffinity(tid, std::mem::size_of_val(set), set) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Restricts every thread of process `pid` to `cpus` (a gateway's stdio children, started
/// before the driver could place them).
pub fn move_process(pid: u32, cpus: &[usize]) -> io::Result<()> {
    let set_of_cpus = set_of(cpus);
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let Some(tid) = task?
            .file_name()
            .to_str()
            .and_then(|t| t.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        // A thread that ended since the listing is no error.
        match set(tid, &set_of_cpus) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {}
            other => other?,
        }
    }
    Ok(())
}
