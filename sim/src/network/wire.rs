//! The messages the simulated hosts exchange: fixed-size, little-endian,
//! packed back to back into turmoil datagrams (`ctx::Outbox`).
//!
//! Every datagram ends with two stamps: `deliver_at`, the exact simulated
//! time it is meant to arrive (the sender's intended send time plus its
//! drawn latency), and `wire_at`, the start of the turmoil step in which it
//! was actually put on the wire. Turmoil only moves datagrams once per
//! tick, so the receiver records `deliver_at` rather than the tick it
//! happened to read the datagram in; `wire_at` tells it when a hold kept
//! the datagram on the link longer than one step (see `ctx::arrival`).

/// One datagram's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// An event (or a log entry holding one).
    Data {
        /// What the ack must echo: the sender's own index for the event
        /// (a source group's slot).
        tag: u64,
        /// The event id.
        event: u64,
        /// The attempt number.
        attempt: u32,
        /// The channel: the source index into a worker; the partition into
        /// the log and out of it.
        channel: u32,
        /// The ack's fate, drawn by the sender (see `fate`).
        ack_lost: bool,
        /// The ack's latency.
        ack_latency_ms: u32,
        /// The event's time (the log holds its partition watermark back by it).
        time: i64,
        /// The destination: a worker index, or the log as index `workers`.
        /// Every worker is served by one ingress host, so the datagram
        /// says which worker it is for.
        dest: u32,
    },
    /// Acknowledges a `Data` with this tag.
    Ack {
        /// The tag of the acknowledged `Data`.
        tag: u64,
        /// The destination that acknowledges (the `Data`'s `dest`): the
        /// sender applies the faults on the way back by it.
        dest: u32,
    },
    /// A low watermark: the sender will send nothing earlier on `channel`.
    Punctuation {
        /// A source index into a worker or the log; a partition out of the log.
        channel: u32,
        /// Event time in ms.
        watermark: i64,
        /// The destination, as in `Data`.
        dest: u32,
    },
}

/// Bytes of the message itself, before the two stamps.
const BODY: usize = 42;

/// Bytes in every encoded datagram.
pub const LEN: usize = BODY + 16;

/// A decoded datagram: the message and its stamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamped {
    /// What it says.
    pub msg: Msg,
    /// When it is meant to arrive, in exact simulated ms.
    pub deliver_at: i64,
    /// Start of the step it was put on the wire in.
    pub wire_at: i64,
}

/// Stamps an encoded datagram with the step it goes on the wire in.
pub fn set_wire_at(bytes: &mut [u8; LEN], wire_at: i64) {
    bytes[BODY + 8..LEN].copy_from_slice(&wire_at.to_le_bytes());
}

const DATA: u8 = 1;
const ACK: u8 = 2;
const PUNCT: u8 = 3;

impl Msg {
    /// The fixed-size encoding, meant to arrive at `deliver_at`; `wire_at`
    /// is set when it is sent.
    pub fn encode(&self, deliver_at: i64) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        match *self {
            Msg::Data {
                tag,
                event,
                attempt,
                channel,
                ack_lost,
                ack_latency_ms,
                time,
                dest,
            } => {
                b[0] = DATA;
                b[1..9].copy_from_slice(&tag.to_le_bytes());
                b[9..17].copy_from_slice(&event.to_le_bytes());
                b[17..21].copy_from_slice(&attempt.to_le_bytes());
                b[21..25].copy_from_slice(&channel.to_le_bytes());
                b[25] = u8::from(ack_lost);
                b[26..30].copy_from_slice(&ack_latency_ms.to_le_bytes());
                b[30..38].copy_from_slice(&time.to_le_bytes());
                b[38..42].copy_from_slice(&dest.to_le_bytes());
            }
            Msg::Ack { tag, dest } => {
                b[0] = ACK;
                b[1..9].copy_from_slice(&tag.to_le_bytes());
                b[9..13].copy_from_slice(&dest.to_le_bytes());
            }
            Msg::Punctuation {
                channel,
                watermark,
                dest,
            } => {
                b[0] = PUNCT;
                b[1..5].copy_from_slice(&channel.to_le_bytes());
                b[5..13].copy_from_slice(&watermark.to_le_bytes());
                b[13..17].copy_from_slice(&dest.to_le_bytes());
            }
        }
        b[BODY..BODY + 8].copy_from_slice(&deliver_at.to_le_bytes());
        b
    }

    /// Decodes a datagram; `None` for anything that isn't one of ours.
    pub fn decode(b: &[u8]) -> Option<Stamped> {
        if b.len() != LEN {
            return None;
        }
        let i64_at = |i: usize| b[i..i + 8].try_into().ok().map(i64::from_le_bytes);
        Some(Stamped {
            msg: Msg::decode_body(b)?,
            deliver_at: i64_at(BODY)?,
            wire_at: i64_at(BODY + 8)?,
        })
    }

    fn decode_body(b: &[u8]) -> Option<Msg> {
        let u64_at = |i: usize| b[i..i + 8].try_into().ok().map(u64::from_le_bytes);
        let u32_at = |i: usize| b[i..i + 4].try_into().ok().map(u32::from_le_bytes);
        match b[0] {
            DATA => Some(Msg::Data {
                tag: u64_at(1)?,
                event: u64_at(9)?,
                attempt: u32_at(17)?,
                channel: u32_at(21)?,
                ack_lost: b[25] != 0,
                ack_latency_ms: u32_at(26)?,
                time: u64_at(30)? as i64,
                dest: u32_at(38)?,
            }),
            ACK => Some(Msg::Ack {
                tag: u64_at(1)?,
                dest: u32_at(9)?,
            }),
            PUNCT => Some(Msg::Punctuation {
                channel: u32_at(1)?,
                watermark: b[5..13].try_into().ok().map(i64::from_le_bytes)?,
                dest: u32_at(13)?,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for m in [
            Msg::Data {
                tag: 1,
                event: u64::MAX,
                attempt: 3,
                channel: 9,
                ack_lost: true,
                ack_latency_ms: 77,
                time: -5,
                dest: 7,
            },
            Msg::Ack { tag: 42, dest: 3 },
            Msg::Punctuation {
                channel: 2,
                watermark: i64::MIN,
                dest: u32::MAX,
            },
        ] {
            let mut b = m.encode(-7);
            set_wire_at(&mut b, 40);
            let want = Stamped {
                msg: m,
                deliver_at: -7,
                wire_at: 40,
            };
            assert_eq!(Msg::decode(&b), Some(want));
        }
        assert_eq!(Msg::decode(&[9; LEN]), None);
        assert_eq!(Msg::decode(&[1; 3]), None);
    }
}
