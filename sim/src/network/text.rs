//! The fault decisions' text, written without the formatting machinery.
//!
//! Why: a lossy run records a sentence for every lost message, lost ack and
//! duplicate (a thousand in a 10,000-event seed), and `format!` spent more
//! on parsing its template and dispatching each argument than on the
//! sentence itself. The text is exactly what `format!` wrote (pinned by
//! a test); only how it is built changed.

/// A sentence built piece by piece.
pub struct Text(String);

impl Text {
    /// An empty sentence with room for a typical one.
    pub fn new() -> Text {
        Text(String::with_capacity(48))
    }

    /// Appends `s`.
    pub fn s(mut self, s: &str) -> Text {
        self.0.push_str(s);
        self
    }

    /// Appends `n` in decimal, as `{n}` writes it.
    pub fn n(mut self, n: u64) -> Text {
        let mut buf = [0u8; 20];
        for &d in crate::rng::decimal(n, &mut buf) {
            self.0.push(char::from(d));
        }
        self
    }

    /// Appends "event {event} attempt {attempt}": how every sentence about
    /// one send of an event names it.
    pub fn attempt(self, event: u64, attempt: u32) -> Text {
        self.s("event ")
            .n(event)
            .s(" attempt ")
            .n(u64::from(attempt))
    }

    /// "ack of event {event} attempt {attempt} to ": the start of every
    /// lost ack's sentence, whoever it was meant for.
    pub fn ack_of(event: u64, attempt: u32) -> Text {
        Text::new().s("ack of ").attempt(event, attempt).s(" to ")
    }

    /// The sentence.
    pub fn done(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_format_writes() {
        for (id, attempt) in [(0u64, 0u32), (7, 1), (10, 19), (u64::MAX, u32::MAX)] {
            let text = Text::new().attempt(id, attempt).s(" lost").done();
            assert_eq!(text, format!("event {id} attempt {attempt} lost"));
            let ack = Text::ack_of(id, attempt).s("the log lost").done();
            assert_eq!(
                ack,
                format!("ack of event {id} attempt {attempt} to the log lost")
            );
        }
    }
}
