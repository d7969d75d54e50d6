//! The prose the reports share: a short lesson on event time, watermarks,
//! late data and triggers, and how to read each table and chart. Kept in
//! one place so every page explains things the same way.

/// Two clocks.
pub const EVENT_TIME: &str =
    "**Event time and processing time.** Every element carries two times: \
when it happened (its *event time*, stamped by the phone or sensor that produced it) and when the \
engine received it (*processing time*). Networks delay, reorder, lose and retry messages, so the \
two drift apart — sometimes by an hour, when a phone was offline. A stream processor groups \
elements into *windows* by event time (\"readings taken between 12:00 and 12:01\"), so the answer \
for a window does not depend on the network. What does depend on the network is *when* the answer \
can be given.";

/// The watermark.
pub const WATERMARK: &str = "**The watermark** is the engine's running estimate of completeness: \
\"I believe I have now seen every element whose event time is before W.\" When it passes a \
window's end, the window can give its answer. A *perfect* watermark knows every message still in \
flight and is never wrong, but only a simulator can have one. Real engines guess (for example \
\"the largest event time seen, minus 5 seconds\"); a guess that runs ahead of the data makes \
some elements *late* — they arrive for a window the watermark has already passed.";

/// Triggers, panes and accumulation.
pub const TRIGGERS: &str = "**Triggers and panes.** A *trigger* decides when a window emits a \
result; each result is a *pane*. A pane fired before the watermark reaches the window's end is \
*early* (speculative: more data may still come); the pane fired when the watermark passes the end \
is *on time*; any pane after that is *late* and folds in late data. *Accumulation* says what \
later panes hold: only what is new since the last pane (`discarding`), everything so far \
(`accumulating`), or everything so far preceded by a retraction of the previous pane \
(`accumulating_and_retracting`). Event-time triggers fire when the watermark moves; \
processing-time triggers fire on the engine's clock (\"every 10 seconds\"), whatever has arrived.";

/// Lateness and dead letters.
pub const LATE_DATA: &str = "**Late data and dead letters.** A window keeps its state for \
`allowed_lateness` after its end (measured by the watermark). Until then a late element updates \
the window and produces a late pane; after that the window has expired and its state is freed, so \
the element cannot be counted any more. Tidemark never drops it silently: it goes to the \
dead-letter output. Allowed lateness trades memory (and the cost of late panes) for completeness.";

/// The consumer.
pub const CONSUMER: &str = "**The consumer.** Figures are taken from what a downstream sink holds, as each \
accumulation mode's sink really works, without hindsight: a `discarding` pipeline feeds a *summing* sink that adds every pane; \
an `accumulating` one feeds an *upsert* sink keyed by window, where a pane replaces its window's row; an \
`accumulating_and_retracting` one feeds an upsert sink that also deletes a row when its retraction arrives. When a late element \
merges two sessions, the accumulating sink keeps the two old rows beside the merged one, so a total per session counts their \
elements twice; the retracting sink has deleted them.";

/// Latency figures.
pub const LATENCY: &str = "**Latency.** Measured from the window's end (event time) to when a pane fired \
(processing time). *First result*: the window's first pane. *Known final*: when the consumer can *know* its value will not change \
again, because a pane was marked last or the watermark passed the window's end plus the allowed lateness (the window expired). \
*Last change (hindsight)*: the output after which the value in fact never changed; nobody can know that when it happens, so it is \
a lower bound, not a latency anyone can act on.";

/// Every term the pages use, once (in `reports/README.md`).
pub const GLOSSARY: [&str; 6] = [
    EVENT_TIME, WATERMARK, TRIGGERS, LATE_DATA, CONSUMER, LATENCY,
];

/// How to read the diagram.
pub const READ_DIAGRAM: &str = "**Reading the diagram** (one panel per strategy, same data in \
each; more than two panels stack). Across is event time, up is processing time. Each **dot** is one element: across, when it \
happened; up, when the engine received it. A **hollow dot drawn 5 px to the right** is a retried copy of an element. A \
**purple ring** marks an element that was *late* for that panel's strategy: the watermark had already passed its event time \
when it arrived (the header says how many, and by how much). A **cross** is a dead letter: an element refused because its \
window had expired or closed (the header counts them by reason). The grey **columns** are windows, headed by the *truth*. \
The blue **staircase** is the watermark, the dashed grey one the perfect watermark. Each coloured **bar** is a pane at the \
processing time it fired, labelled with its value and timing (brown early, green on time, magenta late). A window's last \
pane is crossed and labelled **≠ truth** when the consumer ends holding something other than the truth for it (\"stays in the \
sink\" for a merged-away session that an upsert sink keeps). A dashed grey bar \
is a **retraction**, labelled with what it withdraws; the element that caused it is circled and labelled **straggler**.";

/// How to read the latency/cost table.
pub const READ_LATENCY: &str = "*Panes per window* and *outputs per window* (panes plus \
retractions) are the cost downstream pays: how many results per window it must process. *First result*, *known final* and *last change (hindsight)* are defined in \
the [glossary](README.md#glossary); only the first two are waits a consumer can act on. *Early error* is how far the \
consumer's value after an early pane was from the truth, as a share of it: the price of speculation.";

/// How to read the correctness table.
pub const READ_CORRECTNESS: &str = "*Final accuracy* is the share of windows whose final value, \
as the consumer holds it, equals the truth (over the truth's windows and any extra the consumer holds); *first-pane accuracy* \
is the same for the first pane; *absolute error* adds up how far off the others are. *Dead letters* are elements refused \
because their window had expired; *duplicates counted* are retried copies counted twice (deduplication off); *events lost* \
counts events that reach no final value at all. *Same final* and *same first pane* come from replaying the first seed's events \
through every seed's network and counting the windows whose value came out identical every time.";

/// How to read the trade-off chart.
pub const READ_TRADEOFF: &str = "**Reading the chart.** One number and colour per strategy, named \
in the key underneath. Left: how often it is right (up) against how long after the window's end (across); the hollow dot is the \
first pane, the filled dot the moment the consumer knows the value is final. Right: what it costs, in outputs (panes and retractions) per window, against \
the same wait. Only measured points are drawn, on axes fitted to them. Up and left is better on the left; down and left on the \
right.";
