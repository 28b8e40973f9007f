//! The replay timeline as plain state: where it is, whether it plays, how fast. The UI only sends
//! it [`TimelineCommand`]s.

/// What the replay controls ask for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimelineCommand {
    Play,
    Pause,
    /// Jump to this many seconds from the start.
    Seek(f64),
    SetSpeed(f64),
}

/// A replay's clock over a recording of `duration_s` seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub duration_s: f64,
    pub position_s: f64,
    pub playing: bool,
    pub speed: f64,
}

/// The speeds the replay offers.
pub const SPEEDS: [f64; 6] = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0];

impl Timeline {
    /// A timeline at the end of the recording (everything visible), paused.
    pub fn new(duration_s: f64) -> Self {
        Self { duration_s, position_s: duration_s, playing: false, speed: 1.0 }
    }

    pub fn apply(&mut self, command: TimelineCommand) {
        match command {
            TimelineCommand::Play => {
                if self.position_s >= self.duration_s {
                    self.position_s = 0.0;
                }
                self.playing = true;
            }
            TimelineCommand::Pause => self.playing = false,
            TimelineCommand::Seek(t) => self.position_s = t.clamp(0.0, self.duration_s),
            TimelineCommand::SetSpeed(speed) => self.speed = speed.clamp(0.01, 100.0),
        }
    }

    /// Moves the clock on by `dt` seconds of wall time; stops at the end.
    pub fn advance(&mut self, dt: f64) {
        if !self.playing {
            return;
        }
        self.position_s = (self.position_s + dt * self.speed).min(self.duration_s);
        if self.position_s >= self.duration_s {
            self.playing = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plays_at_its_speed_and_stops_at_the_end() {
        let mut t = Timeline::new(10.0);
        t.apply(TimelineCommand::Play);
        assert_eq!(t.position_s, 0.0, "play from the end restarts");
        t.apply(TimelineCommand::SetSpeed(2.0));
        t.advance(1.5);
        assert_eq!(t.position_s, 3.0);
        t.apply(TimelineCommand::Pause);
        t.advance(1.0);
        assert_eq!(t.position_s, 3.0);
        t.apply(TimelineCommand::Seek(99.0));
        assert_eq!(t.position_s, 10.0);
        t.apply(TimelineCommand::Play);
        t.advance(20.0);
        assert!(!t.playing && t.position_s == 10.0);
    }
}
