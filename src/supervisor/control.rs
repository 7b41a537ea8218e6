//! Starting, stopping and restarting add-ons (`POST /addons/<slug>/start|stop|restart`, which
//! answer `{"result":"ok","data":{}}` once done) behind a small trait, so the advisor and its
//! tests can use a fake. Slugs are checked before they become part of a path.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use super::{AddonRole, SupervisorClient, SupervisorError};
// Installed slugs are `<8-hex repository>_<slug>`; the options reader checks the same.
use crate::config::actions::{MAX_SLUG_LEN, valid_slug};

/// An add-on slug that is safe in a URL path: 1 to 128 of `a-z`, `0-9`, `_` and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddonSlug(String);

/// A slug refused by [`AddonSlug::parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid add-on slug {slug:?}: only a-z, 0-9, '_' and '-' are allowed (1 to {MAX_SLUG_LEN} characters)"
)]
pub struct InvalidSlug {
    pub slug: String,
}

impl AddonSlug {
    /// Checks `slug`; nothing that could change the request path gets through.
    pub fn parse(slug: &str) -> Result<AddonSlug, InvalidSlug> {
        if valid_slug(slug) {
            Ok(AddonSlug(slug.to_string()))
        } else {
            Err(InvalidSlug {
                slug: slug.chars().take(MAX_SLUG_LEN + 8).collect(),
            })
        }
    }

    /// The slug itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AddonSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for AddonSlug {
    type Err = InvalidSlug;

    fn from_str(slug: &str) -> Result<Self, Self::Err> {
        AddonSlug::parse(slug)
    }
}

/// What can be done to an add-on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddonAction {
    Start,
    Stop,
    Restart,
}

impl AddonAction {
    /// The last segment of the action's path.
    pub fn as_str(self) -> &'static str {
        match self {
            AddonAction::Start => "start",
            AddonAction::Stop => "stop",
            AddonAction::Restart => "restart",
        }
    }

    /// `/addons/<slug>/<action>`.
    pub fn path(self, slug: &AddonSlug) -> String {
        format!("/addons/{slug}/{}", self.as_str())
    }
}

impl fmt::Display for AddonAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of an action: `Ok` once the Supervisor reports it done.
pub type ControlFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SupervisorError>> + Send + 'a>>;

/// What the Supervisor says an add-on is to the home.
pub type RoleFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AddonRole, SupervisorError>> + Send + 'a>>;

/// Starts, stops and restarts add-ons. Boxed futures keep it usable as `dyn AddonControl`.
pub trait AddonControl: Send + Sync {
    /// Runs `action` on the add-on `slug`.
    fn act<'a>(&'a self, action: AddonAction, slug: &'a AddonSlug) -> ControlFuture<'a>;

    /// The add-on's role in the home (asked before anything is stopped).
    fn role<'a>(&'a self, slug: &'a AddonSlug) -> RoleFuture<'a>;

    /// Restarts the add-on; done once it runs again.
    fn restart<'a>(&'a self, slug: &'a AddonSlug) -> ControlFuture<'a> {
        self.act(AddonAction::Restart, slug)
    }

    /// Stops the add-on.
    fn stop<'a>(&'a self, slug: &'a AddonSlug) -> ControlFuture<'a> {
        self.act(AddonAction::Stop, slug)
    }

    /// Starts the add-on.
    fn start<'a>(&'a self, slug: &'a AddonSlug) -> ControlFuture<'a> {
        self.act(AddonAction::Start, slug)
    }
}

impl SupervisorClient {
    /// `GET /addons/<slug>/info` (readable with any role: `/.+/info` is in every role's
    /// pattern of the Supervisor's security middleware): the add-on's role in the home.
    pub async fn addon_role(&self, slug: &AddonSlug) -> Result<AddonRole, SupervisorError> {
        let info: serde_json::Value = self.get(&format!("/addons/{slug}/info")).await?;
        Ok(AddonRole::from_info(&info))
    }
}

impl AddonControl for SupervisorClient {
    fn role<'a>(&'a self, slug: &'a AddonSlug) -> RoleFuture<'a> {
        Box::pin(self.addon_role(slug))
    }

    fn act<'a>(&'a self, action: AddonAction, slug: &'a AddonSlug) -> ControlFuture<'a> {
        Box::pin(async move {
            let result = self.post(&action.path(slug)).await.map(|_| ());
            match &result {
                Ok(()) => tracing::info!(%action, %slug, "add-on action done"),
                Err(err) => tracing::warn!(%action, %slug, error = %err, "add-on action failed"),
            }
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_of_installed_addons_are_accepted() {
        for slug in [
            "core_mosquitto",
            "a0d7b954_vscode",
            "local_my-addon",
            "self",
            "5c53de3b_esphome-dev",
        ] {
            assert_eq!(
                AddonSlug::parse(slug).map(|s| s.to_string()),
                Ok(slug.into())
            );
        }
    }

    #[test]
    fn slugs_that_could_change_the_path_are_refused() {
        let long = "a".repeat(MAX_SLUG_LEN + 1);
        for slug in [
            "",
            "../supervisor",
            "core_mosquitto/stats",
            "core_mosquitto?x=1",
            "core%2fssh",
            "core mosquitto",
            "Core_Mosquitto",
            "core.mosquitto",
            "core_mosquitto\n",
            "côre",
            &long,
        ] {
            let err = AddonSlug::parse(slug).expect_err(slug);
            assert!(err.to_string().contains("only a-z, 0-9"), "{err}");
        }
    }

    #[test]
    fn actions_post_to_the_documented_paths() {
        let slug = AddonSlug::parse("core_ssh").expect("slug");
        assert_eq!(AddonAction::Restart.path(&slug), "/addons/core_ssh/restart");
        assert_eq!(AddonAction::Stop.path(&slug), "/addons/core_ssh/stop");
        assert_eq!(AddonAction::Start.path(&slug), "/addons/core_ssh/start");
    }

    #[test]
    fn the_trait_works_as_a_trait_object() {
        let endpoint = crate::config::SupervisorEndpoint {
            url: "http://127.0.0.1:9".into(),
            token: crate::config::Secret::new("t"),
        };
        let client = SupervisorClient::new(&endpoint).expect("client");
        let _: Box<dyn AddonControl> = Box::new(client);
    }
}
