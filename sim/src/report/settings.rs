//! Which settings a scenario's strategies differ in, and a warning for
//! every pair that differs in more than one: a gap between their figures
//! cannot then be pinned on a single setting.

use super::StrategyInfo;

/// Reads one setting off a strategy.
type Getter = fn(&StrategyInfo) -> &str;

/// The settings compared, with how to read each off a strategy.
const SETTINGS: [(&str, Getter); 6] = [
    ("trigger", |s| &s.trigger),
    ("accumulation", |s| &s.accumulation),
    ("watermark", |s| &s.watermark),
    ("allowed lateness", |s| &s.allowed_lateness),
    ("deduplication", |s| &s.dedup),
    ("idle timeout", |s| &s.idle_timeout),
];

/// The settings in which at least two strategies differ, in table order.
#[must_use]
pub fn differing(strategies: &[StrategyInfo]) -> Vec<&'static str> {
    SETTINGS
        .iter()
        .filter(|(_, get)| {
            strategies
                .first()
                .is_some_and(|a| strategies.iter().any(|b| get(a) != get(b)))
        })
        .map(|(name, _)| *name)
        .collect()
}

/// The settings in which `a` and `b` differ.
#[must_use]
pub fn between(a: &StrategyInfo, b: &StrategyInfo) -> Vec<&'static str> {
    SETTINGS
        .iter()
        .filter(|(_, get)| get(a) != get(b))
        .map(|(name, _)| *name)
        .collect()
}

/// The paragraph under the strategies table.
#[must_use]
pub fn paragraph(strategies: &[StrategyInfo]) -> String {
    let diff = differing(strategies);
    let mut out = match diff.as_slice() {
        [] => "The strategies share every setting.".to_string(),
        [one] => format!("The strategies differ only in their **{one}**: every gap between their figures comes from it."),
        many => format!(
            "The strategies differ in: **{}**.",
            many.join("**, **")
        ),
    };
    for (i, a) in strategies.iter().enumerate() {
        for b in &strategies[i + 1..] {
            let d = between(a, b);
            if d.len() > 1 {
                out.push_str(&format!(
                    "\n\n> **Warning:** `{}` and `{}` differ in {} settings at once ({}), so a difference in their figures cannot be credited to one of them alone.",
                    a.name,
                    b.name,
                    d.len(),
                    d.join(", ")
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, trigger: &str, accumulation: &str) -> StrategyInfo {
        StrategyInfo {
            name: name.into(),
            trigger: trigger.into(),
            accumulation: accumulation.into(),
            watermark: "perfect".into(),
            allowed_lateness: "0s".into(),
            dedup: "off".into(),
            idle_timeout: "none".into(),
            sink: "at_least_once".into(),
        }
    }

    #[test]
    fn names_the_differences_and_warns_on_two_at_once() {
        let s = [
            info("a", "default", "discarding"),
            info("b", "default", "accumulating"),
            info("c", "every 10s", "accumulating"),
        ];
        assert_eq!(differing(&s), ["trigger", "accumulation"]);
        let p = paragraph(&s);
        assert!(p.contains("`a` and `c` differ in 2 settings at once (trigger, accumulation)"));
        assert!(!p.contains("`a` and `b` differ"));
    }
}
