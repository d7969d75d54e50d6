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

/// How to read the diagram.
pub const READ_DIAGRAM: &str = "**Reading the diagram** (one panel per strategy, same data in \
each). Across is event time, up is processing time. Each **dot** is one element: across, when it \
happened; up, when the engine received it. A dot far above the others arrived long after the fact. \
The grey **columns** are windows, headed by the *truth* — what a batch job over all the data \
computes. The blue **staircase** is the watermark: climbing up the chart, it steps right each \
time the engine's estimate of event-time progress advances. A dot to the *left* of the staircase \
at its height arrived after the watermark had passed it: it is late. The dashed grey staircase is \
the perfect watermark for comparison. Each coloured **bar** is a pane, drawn across its window at \
the processing time it fired and labelled with its value and timing (orange early, green on time, \
purple late). A **red cross** marks an element that arrived after its window expired: a dead \
letter, counted nowhere.";

/// How to read the latency/cost table.
pub const READ_LATENCY: &str = "*Panes per window* is the cost downstream pays: how many results \
per window it must process. *First result* and *result that stays* are how long after the window's \
end (in event time) the first pane, and the pane after which the value never changed again, were \
emitted (negative: before the window even ended — an early pane). *Early error* is how far early \
panes were from the truth, as a share of it: the price of speculation.";

/// How to read the correctness table.
pub const READ_CORRECTNESS: &str = "*Final accuracy* is the share of windows whose final value \
equals the truth; *absolute error* adds up how far off the others are. *Dead letters* are elements \
refused because their window had expired; *duplicates counted* are retried copies counted twice \
(deduplication off); *events lost* counts events that reach no final value at all (lost in the \
network, or dead-lettered). *Same final* and *same first pane* come from a separate experiment: \
the first seed's events are replayed through every seed's network — same data, different delays \
and faults — and we count the windows whose final value (or first pane) came out identical every \
time. A result that changes with network timing is not reproducible.";

/// How to read the trade-off chart.
pub const READ_TRADEOFF: &str = "**Reading the trade-off chart.** One colour per strategy. The \
hollow dot is its first pane: how soon after the window's end it appeared (across) and how often \
it was already right (up). The filled dot is the result that stays. The dashed line between them \
is what waiting buys. Up and to the left is better: right answers, soon.";
