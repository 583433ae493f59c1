//! Reading on several cores: a scenario's entries, the traces its flows
//! replay (and, in `rpasim-import`, the flows it fits and the runs of a
//! JSON history it parses). Each part is read on its own (an entry is a
//! document of its own, a trace a file of its own), so the parts do not
//! depend on each other and the results are the same on any number of
//! threads.

/// The most threads that read: a scenario's reading is a fraction of a
/// second, and a sweep's jobs already fill the cores.
const MAX_READING_THREADS: usize = 4;

/// Threads to read `items` things on when a thread should have at least
/// `per_thread` of them (fewer do not pay for starting it): at most one
/// per core and [`MAX_READING_THREADS`].
pub fn threads_for(items: usize, per_thread: usize) -> usize {
    if items < 2 * per_thread {
        // Without asking for the cores: that reads files of the system's.
        return 1;
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    (items / per_thread).clamp(1, cores.min(MAX_READING_THREADS))
}

/// `read` of `threads` contiguous runs of `items`, in the runs' order,
/// each run but the first on a thread of its own.
pub fn by_runs<'e, E: Sync, T: Send>(
    items: &'e [E],
    threads: usize,
    read: impl Fn(&'e [E]) -> T + Sync,
) -> Vec<T> {
    if threads <= 1 || items.len() < 2 {
        return vec![read(items)];
    }
    let size = items.len().div_ceil(threads);
    let (first, rest) = items.split_at(size);
    let read = &read;
    std::thread::scope(|scope| {
        let beside: Vec<_> = rest
            .chunks(size)
            .map(|run| {
                let thread = std::thread::Builder::new().spawn_scoped(scope, move || read(run));
                (run, thread)
            })
            .collect();
        let mut done = vec![read(first)];
        for (run, thread) in beside {
            done.push(match thread {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                // No thread to be had: read here.
                Err(_) => read(run),
            });
        }
        done
    })
}
