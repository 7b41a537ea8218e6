//! The temperature card: the hottest sensor, judged by the temperature rule.

use super::{Card, View, plural};
use crate::advice;
use crate::model::registry;
use crate::model::{Severity, Unit};
use crate::web::attention::Attention;
use crate::web::format::format_value;

impl View<'_> {
    pub(in crate::web::summary) fn temperature_card(&self, items: &mut Vec<Attention>) -> Card {
        let Some(t) = self.value(registry::TEMP_MAX.pattern) else {
            return Card {
                key: "temperature",
                title: "Temperature",
                value: "not available".into(),
                detail: "No temperature sensor is readable on this machine".into(),
                percent: None,
                spark: None,
                level: Severity::Ok,
                available: false,
            };
        };
        let mut level = Severity::Ok;
        if let Some(item_level) = self.rules.judge(registry::TEMP_MAX.pattern, t) {
            level = item_level;
            items.push(
                Attention::new(level, format!("The system is hot: {t:.0} °C"), advice::HOT)
                    .on("temp.max_celsius"),
            );
        }
        let sensors = self.family(registry::TEMP_SENSOR.family).count();
        Card {
            key: "temperature",
            title: "Temperature",
            value: format_value(t, Unit::Celsius),
            detail: format!("hottest of {sensors} sensor{}", plural(sensors)),
            percent: None,
            spark: Some(t),
            level,
            available: true,
        }
    }
}
