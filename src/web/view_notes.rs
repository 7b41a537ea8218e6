//! What the page says about the views in effect (`collect::views` detects them): the notes
//! above the process and network tables, and whether Details leads with the per-add-on table.
//! One place for the words, so the first paint, the live stream and the tests agree.

use serde::Serialize;

use crate::config::Mode;
use crate::model::{View, Views};

/// Process note when the process list is an add-on container's own: `host_pid` is declared,
/// but the Supervisor grants it only with Protection mode off (ADR 0009).
pub const ADDON_PROCESSES: &str = "Only this add-on's own processes: turn off Protection \
     mode in the add-on's Info tab to see every process of the box. What each add-on uses is \
     in the add-on table above.";
/// Process note when the process list is a container's own, standalone.
pub const CONTAINER_PROCESSES: &str = "Only this container's processes: it runs in its own \
     PID namespace, so the rest of the machine's processes are not visible.";
/// Process note when the view could not be determined.
pub const UNKNOWN_PROCESSES: &str = "Whether this list holds every process of the machine \
     or only this container's could not be determined.";
/// Network note when `/proc/net/dev` counts the container's own namespace.
pub const CONTAINER_NETWORK: &str = "This container's own traffic: it has its own network \
     namespace, so the machine's interfaces are not visible.";
/// Network note when the view could not be determined.
pub const UNKNOWN_NETWORK: &str = "Whether this is the machine's traffic or only this \
     container's could not be determined.";

/// The page's words about the views; `None` where the view is the host's (nothing to say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ViewNotes {
    pub processes: Option<&'static str>,
    pub network: Option<&'static str>,
    /// Details shows the Supervisor's per-add-on table first: a host table is partial, and
    /// the per-add-on one is the whole box's.
    pub addons_first: bool,
}

impl ViewNotes {
    /// The notes for `views`, in `mode`, with or without the Supervisor link.
    pub fn new(views: Views, mode: Mode, supervisor: bool) -> Self {
        let processes = match (views.processes, mode) {
            (View::Host, _) => None,
            (View::Container, Mode::Addon) => Some(ADDON_PROCESSES),
            (View::Container, Mode::Standalone) => Some(CONTAINER_PROCESSES),
            (View::Unknown, _) => Some(UNKNOWN_PROCESSES),
        };
        let network = match views.network {
            View::Host => None,
            View::Container => Some(CONTAINER_NETWORK),
            View::Unknown => Some(UNKNOWN_NETWORK),
        };
        let partial = views.processes == View::Container || views.network == View::Container;
        ViewNotes {
            processes,
            network,
            addons_first: supervisor && partial,
        }
    }
}

/// A view in the report's words.
pub fn words(view: View) -> &'static str {
    match view {
        View::Host => "the host's",
        View::Container => "this container's own",
        View::Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn views(processes: View, network: View) -> Views {
        Views { processes, network }
    }

    #[test]
    fn the_host_views_need_no_note() {
        let notes = ViewNotes::new(views(View::Host, View::Host), Mode::Addon, true);
        assert_eq!((notes.processes, notes.network), (None, None));
        assert!(!notes.addons_first);
    }

    #[test]
    fn an_addon_without_the_host_pids_points_at_the_addon_table_and_leads_with_it() {
        let notes = ViewNotes::new(views(View::Container, View::Host), Mode::Addon, true);
        assert_eq!(notes.processes, Some(ADDON_PROCESSES));
        assert!(ADDON_PROCESSES.contains("add-on table"));
        assert!(ADDON_PROCESSES.contains("Protection mode"));
        assert!(notes.addons_first);
    }

    #[test]
    fn standalone_in_a_container_says_so_without_protection_mode() {
        let notes = ViewNotes::new(
            views(View::Container, View::Container),
            Mode::Standalone,
            false,
        );
        assert_eq!(notes.processes, Some(CONTAINER_PROCESSES));
        assert_eq!(notes.network, Some(CONTAINER_NETWORK));
        assert!(!notes.addons_first, "no Supervisor, no per-add-on table");
    }

    #[test]
    fn an_unknown_view_is_said_not_guessed() {
        let notes = ViewNotes::new(views(View::Unknown, View::Unknown), Mode::Addon, true);
        assert_eq!(notes.processes, Some(UNKNOWN_PROCESSES));
        assert_eq!(notes.network, Some(UNKNOWN_NETWORK));
        assert!(!notes.addons_first);
    }
}
