//! Checks a parsed scenario for impossible values. Each problem carries the
//! path of the offending node, which `locate` turns into a line and column.
//!
//! serde_yaml already refused unknown fields and ill-typed scalars; what is
//! left here are ranges (a rate below zero), relations between fields (a
//! latency min above its max) and references (a partition's host).

use super::locate::{yaml_path, Seg};
use super::*;
use std::collections::BTreeSet;

/// The most events a scenario may expect to generate. Poisson counts
/// concentrate tightly around their mean, so the generator's hard cap
/// (`workload::EVENTS_MAX`) is never reached by a scenario that passes.
pub const EVENTS_EXPECTED_MAX: f64 = 20_000_000.0;

/// The most engine workers or log partitions a scenario may ask for.
pub const PARALLELISM_MAX: u32 = 1024;

/// The largest |value| an event may carry: `i64::MAX / workload::EVENTS_MAX`
/// (about 3.7e11), so a sum over every event of a run fits `i64`.
pub const VALUE_MAX: i64 = i64::MAX / crate::workload::EVENTS_MAX as i64;

/// The most keys a scenario may name or count (each key's state and
/// name are allocated up front).
pub const KEYS_MAX: u32 = 1_000_000;

/// The most sources, over all groups (each is simulated individually).
pub const SOURCES_MAX: u64 = 100_000;

/// One problem: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) path: Vec<Seg>,
    pub(crate) message: String,
}

pub(crate) type Check = Result<(), Problem>;

/// [`fail`], for the sections checked in their own files.
pub(crate) fn fail_at(path: Vec<Seg>, message: impl Into<String>) -> Check {
    fail(path, message)
}

fn fail(path: Vec<Seg>, message: impl Into<String>) -> Check {
    Err(Problem {
        path,
        message: message.into(),
    })
}

fn join(base: &[Seg], rest: Vec<Seg>) -> Vec<Seg> {
    let mut p = base.to_vec();
    p.extend(rest);
    p
}

/// The first problem in `s`, in file order.
pub(crate) fn check(s: &Scenario) -> Check {
    named(yaml_path!["name"], "scenario name", &s.name)?;
    positive(yaml_path!["duration"], "duration", s.duration)?;
    workload(s)?;
    network(s)?;
    super::script::check(s)?;
    pipeline(&s.pipeline)?;
    strategies(&s.strategies)?;
    punctuation_intervals(s)?;
    let sinks: Vec<(usize, SinkSpec)> = s
        .strategies
        .iter()
        .enumerate()
        .filter_map(|(i, st)| st.sink.map(|k| (i, k)))
        .collect();
    super::processing::check(&s.log, &s.processing, s.pipeline.workers, &sinks)?;
    for (i, st) in s.strategies.iter().enumerate() {
        for (j, c) in st.crashes.iter().flatten().enumerate() {
            super::processing::check_crash(
                yaml_path!["strategies", i, "crashes", j],
                c,
                s.pipeline.workers,
            )?;
        }
    }
    super::architecture::check(s)?;
    thresholds(&[Seg::from("expect")], &s.expect.thresholds())?;
    super::cost::check(s)
}

/// A name that becomes a file or host name (see `names`).
fn named(p: Vec<Seg>, what: &str, name: &str) -> Check {
    match names::check_name(what, name) {
        Ok(()) => Ok(()),
        Err(message) => fail(p, message),
    }
}

/// Sources send punctuations at one interval for the whole run, so
/// strategies can't ask for different ones: refused rather than collapsed
/// silently to the shortest.
fn punctuation_intervals(s: &Scenario) -> Check {
    let mut first: Option<Dur> = None;
    for (i, st) in s.strategies.iter().enumerate() {
        let Some(WatermarkSpec::Punctuated(p)) = st.watermark.or(Some(s.pipeline.watermark)) else {
            continue;
        };
        match first {
            None => first = Some(p.interval),
            Some(f) if f != p.interval => {
                let path = if st.watermark.is_some() {
                    yaml_path!["strategies", i, "watermark"]
                } else {
                    yaml_path!["pipeline", "watermark"]
                };
                return fail(
                    path,
                    format!(
                        "punctuated watermarks need one interval for every strategy \
                         (sources send punctuations once for all of them): {f} and {}",
                        p.interval
                    ),
                );
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn positive(p: Vec<Seg>, what: &str, d: Dur) -> Check {
    if d.ms() <= 0 {
        return fail(p, format!("{what} must be positive, got {d}"));
    }
    Ok(())
}

fn not_negative(p: Vec<Seg>, what: &str, d: Dur) -> Check {
    if d.ms() < 0 {
        return fail(p, format!("{what} must not be negative, got {d}"));
    }
    Ok(())
}

fn probability(p: Vec<Seg>, what: &str, x: f64) -> Check {
    if !(0.0..=1.0).contains(&x) {
        return fail(p, format!("{what} must be between 0 and 1, got {x}"));
    }
    Ok(())
}

fn rate(p: Vec<Seg>, x: f64) -> Check {
    if !x.is_finite() || x < 0.0 {
        return fail(
            p,
            format!("rate must be a non-negative number of events per second, got {x}"),
        );
    }
    Ok(())
}

/// A period `{at, for}`: starts at or after 0 and lasts a while.
fn period(base: &[Seg], at: Dur, for_: Dur) -> Check {
    not_negative(join(base, yaml_path!["at"]), "at", at)?;
    positive(join(base, yaml_path!["for"]), "for", for_)
}

/// Checks the workload: values, and that group and source names are
/// unique host names.
fn workload(s: &Scenario) -> Check {
    let w = &s.workload;
    match &w.keys {
        KeysSpec::Count(0) => fail(yaml_path!["workload", "keys"], "keys must be at least 1")?,
        KeysSpec::Count(n) if *n > KEYS_MAX => fail(
            yaml_path!["workload", "keys"],
            format!("{n} keys is too many: at most {KEYS_MAX} (lower workload.keys)"),
        )?,
        KeysSpec::Names(names) if names.len() > KEYS_MAX as usize => fail(
            yaml_path!["workload", "keys"],
            format!("{} key names is too many: at most {KEYS_MAX}", names.len()),
        )?,
        KeysSpec::Names(names) => {
            unique_names(&[Seg::from("workload"), Seg::from("keys")], "key", names)?
        }
        KeysSpec::Count(_) => {}
    }
    if w.sources.is_empty() {
        fail(
            yaml_path!["workload", "sources"],
            "expected at least one source group",
        )?;
    }
    let mut total_sources = 0u64;
    for (i, g) in w.sources.iter().enumerate() {
        total_sources += u64::from(g.count);
        if total_sources > SOURCES_MAX {
            fail(
                yaml_path!["workload", "sources", i, "count"],
                format!(
                    "the groups have {total_sources} sources so far; at most {SOURCES_MAX} \
                     are allowed in all (lower the count)"
                ),
            )?;
        }
    }
    let mut hosts = BTreeSet::new();
    let mut expected_events = 0.0;
    for (i, g) in w.sources.iter().enumerate() {
        let base = yaml_path!["workload", "sources", i];
        source_group(&base, g)?;
        // The group's name and its sources' names are all host names; a
        // group of one source has one name for both.
        let mut names = g.source_names();
        if g.count != 1 {
            names.insert(0, g.name.clone());
        }
        for name in names {
            if name == ENGINE_HOST || name == LOG_HOST {
                let message = format!("`{name}` is reserved for a host");
                fail(join(&base, yaml_path!["name"]), message)?;
            }
            if !hosts.insert(name.clone()) {
                let message = format!("source name `{name}` is used twice");
                fail(join(&base, yaml_path!["name"]), message)?;
            }
        }
        expected_events += expected_events_of(g, s.duration);
    }
    expected_events += s.events.as_ref().map_or(0, Vec::len) as f64;
    if expected_events > EVENTS_EXPECTED_MAX {
        fail(
            yaml_path!["workload", "sources"],
            format!(
                "the sources would generate about {expected_events:.0} events over {}; \
                 at most {EVENTS_EXPECTED_MAX:.0} are allowed (lower a rate, count or duration)",
                s.duration
            ),
        )?;
    }
    Ok(())
}

/// The mean number of events a group generates (bursts replace the rate).
pub(crate) fn expected_events_of(g: &SourceGroup, duration: Dur) -> f64 {
    let secs = |d: Dur| d.ms().max(0) as f64 / 1000.0;
    let mut per_source = g.rate * secs(duration);
    for b in &g.bursts {
        per_source += (b.rate - g.rate).max(0.0) * secs(b.for_);
    }
    per_source * f64::from(g.count)
}

fn unique_names(base: &[Seg], what: &str, names: &[String]) -> Check {
    if names.is_empty() {
        return fail(base.to_vec(), format!("expected at least one {what} name"));
    }
    let mut seen = BTreeSet::new();
    for (i, n) in names.iter().enumerate() {
        if let Err(message) = names::check_key_name(n) {
            fail(join(base, yaml_path![i]), message)?;
        }
        if !seen.insert(n) {
            fail(
                join(base, yaml_path![i]),
                format!("{what} name `{n}` is used twice"),
            )?;
        }
    }
    Ok(())
}

fn source_group(base: &[Seg], g: &SourceGroup) -> Check {
    named(join(base, yaml_path!["name"]), "source group name", &g.name)?;
    if g.count == 0 {
        fail(join(base, yaml_path!["count"]), "count must be at least 1")?;
    }
    rate(join(base, yaml_path!["rate"]), g.rate)?;
    // Overflow policy: refuse at load. Every event's |value| is at most
    // VALUE_MAX, and no run has more than `workload::EVENTS_MAX` events,
    // so no sum (engine or oracle) can overflow `i64`.
    let (lo, hi) = match g.values {
        ValueDist::Constant(v) => (v, v),
        ValueDist::Uniform(r) => (r.min, r.max),
    };
    for (v, field) in [(lo, "min"), (hi, "max")] {
        if v.unsigned_abs() > VALUE_MAX.unsigned_abs() {
            let p = match g.values {
                ValueDist::Constant(_) => yaml_path!["values", "constant"],
                ValueDist::Uniform(_) => yaml_path!["values", "uniform", field],
            };
            fail(
                join(base, p),
                format!(
                    "value {v} is too large: values must be within ±{VALUE_MAX}, so that \
                     a sum over the most events a run may have ({}) cannot overflow",
                    crate::workload::EVENTS_MAX
                ),
            )?;
        }
    }
    not_negative(
        join(base, yaml_path!["time_grid"]),
        "time_grid",
        g.time_grid,
    )?;
    if let ValueDist::Uniform(r) = g.values {
        if r.min > r.max {
            fail(
                join(base, yaml_path!["values", "uniform"]),
                format!(
                    "uniform values need min <= max, got min {} > max {}",
                    r.min, r.max
                ),
            )?;
        }
    }
    for (i, o) in g.offline.iter().enumerate() {
        let p = join(base, yaml_path!["offline", i]);
        period(&p, o.at, o.for_)?;
        if let SourceShare::Fraction(f) = o.sources {
            probability(join(&p, yaml_path!["sources"]), "a fraction of sources", f)?;
        }
        if let SourceShare::Count(n) = o.sources {
            if n > g.count {
                fail(
                    join(&p, yaml_path!["sources"]),
                    format!("the group has {} sources, cannot take {n} offline", g.count),
                )?;
            }
        }
    }
    for (i, b) in g.bursts.iter().enumerate() {
        let p = join(base, yaml_path!["bursts", i]);
        period(&p, b.at, b.for_)?;
        rate(join(&p, yaml_path!["rate"]), b.rate)?;
    }
    Ok(())
}

fn latency(p: Vec<Seg>, l: &LatencySpec) -> Check {
    match *l {
        LatencySpec::Constant(d) => not_negative(join(&p, yaml_path!["constant"]), "latency", d),
        LatencySpec::Uniform(r) => {
            let q = join(&p, yaml_path!["uniform"]);
            not_negative(join(&q, yaml_path!["min"]), "latency min", r.min)?;
            if r.min > r.max {
                return fail(
                    join(&q, yaml_path!["max"]),
                    format!(
                        "latency max must be at least min, got min {} > max {}",
                        r.min, r.max
                    ),
                );
            }
            Ok(())
        }
        LatencySpec::Exponential(e) => not_negative(
            join(&p, yaml_path!["exponential", "mean"]),
            "latency mean",
            e.mean,
        ),
        LatencySpec::Pareto(par) => {
            let q = join(&p, yaml_path!["pareto"]);
            positive(join(&q, yaml_path!["scale"]), "pareto scale", par.scale)?;
            if !par.shape.is_finite() || par.shape <= 0.0 {
                return fail(
                    join(&q, yaml_path!["shape"]),
                    format!("pareto shape must be a positive number, got {}", par.shape),
                );
            }
            Ok(())
        }
    }
}

fn host(p: Vec<Seg>, name: &str, s: &Scenario) -> Check {
    let has_log = s.network.log.is_some();
    let is_source = || {
        s.workload
            .sources
            .iter()
            .any(|g| g.name == name || g.source_names().iter().any(|n| n == name))
    };
    if name == ENGINE_HOST || (has_log && name == LOG_HOST) || is_source() {
        return Ok(());
    }
    let groups: Vec<String> = s
        .workload
        .sources
        .iter()
        .map(|g| format!("`{}`", g.name))
        .collect();
    let tail = if has_log {
        format!(", `{ENGINE_HOST}` or `{LOG_HOST}`")
    } else {
        format!(" or `{ENGINE_HOST}`")
    };
    fail(
        p,
        format!(
            "unknown host `{name}`; expected a source group ({}), one of its sources \
             (like `{}`){tail}",
            groups.join(", "),
            s.workload
                .sources
                .first()
                .and_then(|g| g.source_names().into_iter().next())
                .unwrap_or_default(),
        ),
    )
}

fn network(s: &Scenario) -> Check {
    let n = &s.network;
    latency(yaml_path!["network", "latency"], &n.latency)?;
    probability(yaml_path!["network", "loss"], "loss", n.loss)?;
    if let Some(r) = n.retry {
        positive(
            yaml_path!["network", "retry", "timeout"],
            "retry timeout",
            r.timeout,
        )?;
        if r.max_attempts == 0 {
            fail(
                yaml_path!["network", "retry", "max_attempts"],
                "max_attempts must be at least 1",
            )?;
        }
    }
    for (i, l) in n.links.iter().enumerate() {
        let base = yaml_path!["network", "links", i];
        host(join(&base, yaml_path!["from"]), &l.from, s)?;
        host(join(&base, yaml_path!["to"]), &l.to, s)?;
        log_to_engine(&base, &l.from, &l.to)?;
        if let Some(lat) = &l.latency {
            latency(join(&base, yaml_path!["latency"]), lat)?;
        }
        if let Some(loss) = l.loss {
            probability(join(&base, yaml_path!["loss"]), "loss", loss)?;
        }
    }
    for (what, faults) in [("partitions", &n.partitions), ("holds", &n.holds)] {
        for (i, f) in faults.iter().enumerate() {
            let base = yaml_path!["network", what, i];
            period(&base, f.at, f.for_)?;
            host(join(&base, yaml_path!["from"]), &f.from, s)?;
            host(join(&base, yaml_path!["to"]), &f.to, s)?;
            log_to_engine(&base, &f.from, &f.to)?;
        }
    }
    if let Some(log) = n.log {
        parallelism(
            yaml_path!["network", "log", "partitions"],
            "log partitions",
            log.partitions,
        )?;
    }
    Ok(())
}

/// Nothing travels between the log and the engine: the network phase ends
/// at the log, and workers read it in the processing phase (`processing:`
/// sets their fetch latency). A link or fault there would silently do
/// nothing, so it is refused.
fn log_to_engine(base: &[Seg], from: &str, to: &str) -> Check {
    let pair = |a: &str, b: &str| (from == a && to == b) || (from == b && to == a);
    if pair(LOG_HOST, ENGINE_HOST) {
        return fail(
            join(base, yaml_path!["to"]),
            format!(
                "nothing travels between `{LOG_HOST}` and `{ENGINE_HOST}`: workers read the \
                 durable log directly; set `processing.fetch_latency` for the read delay and \
                 `processing.crashes` for worker faults"
            ),
        );
    }
    Ok(())
}

fn parallelism(p: Vec<Seg>, what: &str, n: u32) -> Check {
    if n == 0 || n > PARALLELISM_MAX {
        return fail(
            p,
            format!("{what} must be between 1 and {PARALLELISM_MAX}, got {n}"),
        );
    }
    Ok(())
}

/// The pipeline grammar's check (the engine's own validation), located
/// below `p`.
fn grammar(p: &[Seg], checked: Result<(), grammar::Problem>) -> Check {
    checked.map_err(|problem| Problem {
        path: join(p, problem.path),
        message: problem.message,
    })
}

fn window(p: Vec<Seg>, w: &WindowSpec) -> Check {
    grammar(&p, grammar::check_window(w))
}

fn allowed_lateness(p: Vec<Seg>, d: Dur) -> Check {
    grammar(&p, grammar::check_lateness(d))
}

fn watermark(p: Vec<Seg>, w: &WatermarkSpec) -> Check {
    match *w {
        WatermarkSpec::Perfect => Ok(()),
        WatermarkSpec::BoundedOutOfOrderness(d) => not_negative(
            join(&p, yaml_path!["bounded_out_of_orderness"]),
            "out-of-orderness bound",
            d,
        ),
        WatermarkSpec::Punctuated(pu) => positive(
            join(&p, yaml_path!["punctuated", "interval"]),
            "punctuation interval",
            pu.interval,
        ),
    }
}

fn pipeline(pl: &PipelineSpec) -> Check {
    window(yaml_path!["pipeline", "window"], &pl.window)?;
    watermark(yaml_path!["pipeline", "watermark"], &pl.watermark)?;
    not_negative(
        yaml_path!["pipeline", "watermark_interval"],
        "watermark_interval",
        pl.watermark_interval,
    )?;
    if let Some(t) = pl.idle_timeout {
        positive(yaml_path!["pipeline", "idle_timeout"], "idle_timeout", t)?;
    }
    allowed_lateness(
        yaml_path!["pipeline", "allowed_lateness"],
        pl.allowed_lateness,
    )?;
    parallelism(yaml_path!["pipeline", "workers"], "workers", pl.workers)
}

fn strategies(ss: &[StrategySpec]) -> Check {
    if ss.is_empty() {
        fail(yaml_path!["strategies"], "expected at least one strategy")?;
    }
    if ss.len() > super::cost::STRATEGIES_MAX {
        fail(
            yaml_path!["strategies", super::cost::STRATEGIES_MAX],
            format!(
                "{} strategies is too many: at most {} may be compared in one scenario",
                ss.len(),
                super::cost::STRATEGIES_MAX
            ),
        )?;
    }
    let mut seen = BTreeSet::new();
    for (i, s) in ss.iter().enumerate() {
        let base = yaml_path!["strategies", i];
        named(join(&base, yaml_path!["name"]), "strategy name", &s.name)?;
        if !seen.insert(s.name.as_str()) {
            fail(
                join(&base, yaml_path!["name"]),
                format!(
                    "strategy name `{}` is used twice; names must be unique",
                    s.name
                ),
            )?;
        }
        trigger(join(&base, yaml_path!["trigger"]), &s.trigger)?;
        if let Some(w) = &s.watermark {
            watermark(join(&base, yaml_path!["watermark"]), w)?;
        }
        if let Some(t) = s.idle_timeout {
            positive(join(&base, yaml_path!["idle_timeout"]), "idle_timeout", t)?;
        }
        if let Some(l) = s.allowed_lateness {
            allowed_lateness(join(&base, yaml_path!["allowed_lateness"]), l)?;
        }
        if let Some(t) = &s.expect {
            thresholds(&join(&base, yaml_path!["expect"]), t)?;
        }
    }
    Ok(())
}

fn thresholds(base: &[Seg], t: &Thresholds) -> Check {
    if let Some(x) = t.dead_letter_fraction_max {
        probability(
            join(base, yaml_path!["dead_letter_fraction_max"]),
            "dead_letter_fraction_max",
            x,
        )?;
    }
    if let Some(x) = t.accuracy_min {
        probability(join(base, yaml_path!["accuracy_min"]), "accuracy_min", x)?;
    }
    if let Some(d) = t.on_time_latency_max {
        not_negative(
            join(base, yaml_path!["on_time_latency_max"]),
            "on_time_latency_max",
            d,
        )?;
    }
    Ok(())
}

fn trigger(p: Vec<Seg>, t: &TriggerSpec) -> Check {
    grammar(&p, grammar::check_trigger(t))
}

/// A new version's overrides at `base` (`architecture.deploy`), each checked
/// as its `pipeline` or strategy counterpart is.
pub(crate) fn version_parts(
    base: &[Seg],
    w: Option<&WindowSpec>,
    t: Option<&TriggerSpec>,
    wm: Option<&WatermarkSpec>,
    idle: Option<Dur>,
    lateness: Option<Dur>,
) -> Check {
    if let Some(w) = w {
        window(join(base, yaml_path!["window"]), w)?;
    }
    if let Some(t) = t {
        trigger(join(base, yaml_path!["trigger"]), t)?;
    }
    if let Some(wm) = wm {
        watermark(join(base, yaml_path!["watermark"]), wm)?;
    }
    if let Some(i) = idle {
        positive(join(base, yaml_path!["idle_timeout"]), "idle_timeout", i)?;
    }
    if let Some(l) = lateness {
        allowed_lateness(join(base, yaml_path!["allowed_lateness"]), l)?;
    }
    Ok(())
}
