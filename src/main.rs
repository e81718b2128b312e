//! The `ringdis` binary: parse flags, run the server, exit 0 on a clean shutdown.

/// The system allocator, counted: INFO's used_memory and maxmemory read the count.
#[global_allocator]
static GLOBAL: ringdis::alloc::Counting = ringdis::alloc::Counting;

fn main() {
    let config = match ringdis::shared::conffile::parse(std::env::args_os().collect()) {
        Ok(c) => c,
        Err(ringdis::shared::conffile::ArgsError::File(e)) => {
            eprintln!("\n{e}");
            std::process::exit(1);
        }
        Err(ringdis::shared::conffile::ArgsError::Flags(e))
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            let _ = e.print();
            std::process::exit(0);
        }
        Err(ringdis::shared::conffile::ArgsError::Flags(e)) => {
            // One clear line, not clap's multi-line usage block.
            let msg = e.to_string();
            let first = msg.lines().next().unwrap_or("invalid arguments");
            eprintln!("ringdis: {}", first.trim_start_matches("error: "));
            std::process::exit(1);
        }
    };
    ringdis::server::code::map_program_code();
    if let Err(e) = ringdis::run(config) {
        eprintln!("ringdis: {e}");
        std::process::exit(1);
    }
}
