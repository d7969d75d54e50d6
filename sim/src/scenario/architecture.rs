//! The `architecture:` section: Lambda and Kappa on the scenario's one
//! ingest. A `deploy` replaces the serving strategy's pipeline with a new
//! version at a processing time (Kappa reprocesses the retained log with
//! it); `kappa` sets the reprocessing consumer's catch-up rate; `lambda`
//! adds a batch layer over a master dataset beside the streaming (speed)
//! layer. The `arch` module gives the section meaning; this file describes
//! and checks it.

use super::duration::Dur;
use super::locate::{yaml_path, Seg};
use super::validate::{fail_at, Check};
use super::{
    AccumulationSpec, AggregateSpec, OnTimeSpec, Scenario, TriggerSpec, WatermarkSpec, WindowSpec,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Lambda and Kappa over the scenario's ingest.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchitectureSpec {
    /// The strategy whose output is served (v1, and Lambda's speed layer);
    /// default: the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<String>,
    /// A new version of the serving pipeline, deployed at a processing time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy: Option<DeploySpec>,
    /// Kappa: reprocess the retained log with the deployed version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kappa: Option<KappaSpec>,
    /// Lambda: a batch layer over a master dataset, merged with the speed layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<LambdaSpec>,
}

/// Version 2 of the serving pipeline: an ordinary pipeline definition, given
/// as overrides of the serving strategy (and of `pipeline` for window and
/// aggregate). Every unset field is v1's.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploySpec {
    /// The version's name (default `v2`).
    #[serde(default = "v2")]
    pub name: String,
    /// Processing time of the deployment.
    pub at: Dur,
    /// A new window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowSpec>,
    /// A new aggregation (a bug fix in the aggregation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<AggregateSpec>,
    /// A new trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerSpec>,
    /// A new accumulation mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accumulation: Option<AccumulationSpec>,
    /// A new allowed lateness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_lateness: Option<Dur>,
    /// A new watermark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<WatermarkSpec>,
    /// A new idle timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<Dur>,
    /// Deduplication on or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup: Option<bool>,
    /// A new on-time behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_time: Option<OnTimeSpec>,
}

fn v2() -> String {
    "v2".to_string()
}

/// How the reprocessing consumer runs.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KappaSpec {
    /// Records per second one v2 worker processes while catching up
    /// (default: the `processing.service_rate`, unlimited without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catch_up_rate: Option<f64>,
    /// Also replay every strategy of the scenario, unchanged, from the
    /// earliest retained offset at the deployment, and compare it with its
    /// live run: the processing-time trap (same code, different answer).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replay_strategies: bool,
}

/// The batch layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LambdaSpec {
    /// A batch run starts every this much processing time, over all of the
    /// master dataset appended by then.
    pub batch_interval: Dur,
    /// How long one batch run takes; its view serves once it completes.
    #[serde(default)]
    pub batch_duration: Dur,
    /// Deliberate differences between the batch and the speed codebases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub two_codebases: Vec<Divergence>,
}

/// One way the batch codebase differs from the streaming one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Divergence {
    /// The batch counts every appended copy; the speed layer dedups by id.
    BatchIgnoresDedup,
    /// The batch windows by the source's true time (clock skew corrected);
    /// the speed layer by the time the source stamped.
    BatchUsesTrueTime,
}

impl Divergence {
    /// Its spelling.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Divergence::BatchIgnoresDedup => "batch_ignores_dedup",
            Divergence::BatchUsesTrueTime => "batch_uses_true_time",
        }
    }
}

/// The first problem in the section.
pub(crate) fn check(s: &Scenario) -> Check {
    let Some(a) = &s.architecture else {
        return Ok(());
    };
    let base = |rest: &[&str]| -> Vec<Seg> {
        let mut v = yaml_path!["architecture"];
        v.extend(rest.iter().map(|r| Seg::from(*r)));
        v
    };
    if let Some(name) = &a.serving {
        if !s.strategies.iter().any(|st| &st.name == name) {
            return fail_at(base(&["serving"]), format!("no strategy is named `{name}`"));
        }
    }
    if s.strategies.is_empty() {
        return fail_at(base(&[]), "an architecture needs a strategy to serve");
    }
    let window = a
        .deploy
        .as_ref()
        .and_then(|d| d.window)
        .unwrap_or(s.pipeline.window);
    if matches!(s.pipeline.window, WindowSpec::Sessions(_))
        || matches!(window, WindowSpec::Sessions(_))
    {
        return fail_at(
            base(&[]),
            "the served view is kept per (key, window): session windows, which merge, are not supported here",
        );
    }
    if let Some(d) = &a.deploy {
        if d.at.ms() < 0 {
            return fail_at(
                base(&["deploy", "at"]),
                format!("at must not be negative, got {}", d.at),
            );
        }
        if a.lambda.is_some() && (d.window.is_some() || d.aggregate.is_some()) {
            let field = if d.window.is_some() {
                "window"
            } else {
                "aggregate"
            };
            return fail_at(
                base(&["deploy", field]),
                "with a lambda section both architectures answer one question: the deployment may not change the window or the aggregate",
            );
        }
        super::validate::version_parts(
            &base(&["deploy"]),
            d.window.as_ref(),
            d.trigger.as_ref(),
            d.watermark.as_ref(),
            d.idle_timeout,
            d.allowed_lateness,
        )?;
    }
    if let Some(k) = &a.kappa {
        if a.deploy.is_none() {
            return fail_at(
                base(&["kappa"]),
                "Kappa reprocesses at a deployment: set architecture.deploy",
            );
        }
        if let Some(r) = k.catch_up_rate {
            if !r.is_finite() || r <= 0.0 {
                return fail_at(
                    base(&["kappa", "catch_up_rate"]),
                    format!(
                        "catch_up_rate must be a positive number of records per second, got {r}"
                    ),
                );
            }
        }
    }
    if let Some(l) = &a.lambda {
        if l.batch_interval.ms() <= 0 {
            return fail_at(
                base(&["lambda", "batch_interval"]),
                format!("batch_interval must be positive, got {}", l.batch_interval),
            );
        }
        if l.batch_duration.ms() < 0 {
            return fail_at(
                base(&["lambda", "batch_duration"]),
                format!(
                    "batch_duration must not be negative, got {}",
                    l.batch_duration
                ),
            );
        }
    }
    Ok(())
}
