//! The disk card: the fullest mount, every mount judged by its rule, and the data disk always
//! named.

use super::{Card, View, plural};
use crate::advice;
use crate::model::registry;
use crate::model::{Severity, Unit};
use crate::web::attention::Attention;
use crate::web::format::{format_bytes, format_value};

impl View<'_> {
    pub(in crate::web::summary) fn disk_card(&self, items: &mut Vec<Attention>) -> Card {
        let mut mounts: Vec<(&str, f64)> = self
            .family(registry::DISK_USED_PERCENT.family)
            .map(|s| (s.label("mount"), s.value))
            .collect();
        // Fullest first: that is the one that fills up first.
        mounts.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut level = Severity::Ok;
        for (mount, pct) in &mounts {
            let id = format!("disk.{mount}.used_percent");
            if let Some(item_level) = self.rules.judge(&id, *pct) {
                level = level.max(item_level);
                let free = self
                    .value(&format!("disk.{mount}.free_bytes"))
                    .map(|f| format!(" ({} free)", format_bytes(f)))
                    .unwrap_or_default();
                items.push(
                    Attention::new(
                        item_level,
                        format!("Disk {mount} is {pct:.0} % full{free}"),
                        advice::DISK_FULL,
                    )
                    .on(id),
                );
            }
        }
        let Some((mount, pct)) = mounts.first().copied() else {
            return Card {
                key: "disk",
                title: "Disk",
                value: "not available".into(),
                detail: "No filesystem could be read".into(),
                percent: None,
                spark: None,
                level,
                available: false,
            };
        };
        let name = |m: &str| {
            if self.data_disk == Some(m) {
                format!("data disk {m}")
            } else {
                m.to_string()
            }
        };
        let mut detail = match (
            self.value(&format!("disk.{mount}.free_bytes")),
            self.value(&format!("disk.{mount}.total_bytes")),
        ) {
            (Some(f), Some(t)) => {
                format!(
                    "{}: {} free of {}",
                    name(mount),
                    format_bytes(f),
                    format_bytes(t)
                )
            }
            _ => name(mount),
        };
        // The data disk holds the history (and Home Assistant's own data in an add-on): it is
        // always named, even when another mount is fuller.
        let mut more = mounts.len().saturating_sub(1);
        if let Some(data) = self.data_disk
            && data != mount
            && let Some((_, data_pct)) = mounts.iter().find(|(m, _)| *m == data)
        {
            detail.push_str(&format!(" · {}: {data_pct:.0} % used", name(data)));
            more -= 1;
        }
        if more > 0 {
            detail.push_str(&format!(" · {more} more mount{}", plural(more)));
        }
        if let Some(waiting) = self.waiting("io") {
            detail.push_str(&format!(" · I/O {waiting}"));
        }
        Card {
            key: "disk",
            title: "Disk",
            value: format_value(pct, Unit::Percent),
            detail,
            percent: Some(pct),
            spark: Some(pct),
            level,
            available: true,
        }
    }
}
