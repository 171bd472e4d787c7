//! Thread placement through the Linux scheduler: which CPUs this process may use, pinning
//! the calling thread to one CPU, and asking which CPU it is on.

use std::collections::BTreeSet;
use std::io;

/// CPUs the calling thread may run on (its affinity mask), which a container or `taskset`
/// may make smaller than the online set.
pub fn allowed_cpus() -> io::Result<BTreeSet<usize>> {
    // SAFETY: cpu_set_t is plain data; zeroed is the empty set, and sched_getaffinity writes
    // at most size_of::<cpu_set_t>() bytes into it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Err(io::Error::last_os_error());
        }
        let max = 8 * std::mem::size_of::<libc::cpu_set_t>();
        Ok((0..max).filter(|cpu| libc::CPU_ISSET(*cpu, &set)).collect())
    }
}

/// Pins the calling thread to `cpu`.
pub fn pin_current_thread(cpu: usize) -> io::Result<()> {
    if cpu >= 8 * std::mem::size_of::<libc::cpu_set_t>() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("CPU {cpu} is beyond cpu_set_t"),
        ));
    }
    // SAFETY: as above; CPU_SET is in bounds by the check.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The CPU the calling thread is running on right now.
pub fn current_cpu() -> io::Result<usize> {
    // SAFETY: sched_getcpu takes no arguments and only returns a value.
    let cpu = unsafe { libc::sched_getcpu() };
    usize::try_from(cpu).map_err(|_| io::Error::last_os_error())
}
