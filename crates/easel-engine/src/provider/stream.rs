//! Server-sent events (`text/event-stream`), as streaming image answers arrive: bytes in any
//! pieces, events out whole. The same decoder reads an answer live (the job shows partial
//! pictures as they come) and whole (the parser finds the finished images).
//!
//! The format (WHATWG HTML, "Server-sent events"): lines ending in LF, CRLF or CR; `event:`
//! names the event, `data:` lines are joined with LF, a line starting with `:` is a comment, a
//! blank line ends the event. Only `event` and `data` matter here.

/// One event: its name (when given) and its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// Turns pieces of a stream into whole events.
#[derive(Debug, Default)]
pub struct SseDecoder {
    /// Bytes of a line not yet ended.
    line: Vec<u8>,
    /// The last piece ended in CR: an LF first in the next piece belongs to it.
    after_cr: bool,
    event: Option<String>,
    data: Option<String>,
}

impl SseDecoder {
    /// Feed the next piece; the events it completed, in order.
    pub fn feed(&mut self, piece: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        for &byte in piece {
            if std::mem::take(&mut self.after_cr) && byte == b'\n' {
                continue;
            }
            match byte {
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.line_done(&String::from_utf8_lossy(&line)) {
                        events.push(event);
                    }
                }
                _ => self.line.push(byte),
            }
        }
        events
    }

    /// The end of the stream: an event left without its blank line still counts.
    pub fn finish(&mut self) -> Option<SseEvent> {
        let line = std::mem::take(&mut self.line);
        let from_line = if line.is_empty() { None } else { self.line_done(&String::from_utf8_lossy(&line)) };
        from_line.or_else(|| self.line_done(""))
    }

    fn line_done(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            let data = self.data.take();
            let event = self.event.take();
            return data.map(|data| SseEvent { event, data });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').map_or((line, ""), |(f, v)| (f, v.strip_prefix(' ').unwrap_or(v)));
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {}
        }
        None
    }
}

/// Every event of a whole stream.
pub fn events(body: &[u8]) -> Vec<SseEvent> {
    let mut decoder = SseDecoder::default();
    let mut events = decoder.feed(body);
    events.extend(decoder.finish());
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_whole_however_the_bytes_are_cut() {
        let stream = b"event: image_generation.partial_image\r\ndata: {\"a\":1}\r\n\r\n: keep-alive\n\ndata: line one\ndata: line two\n\nevent: done\ndata: [DONE]";
        let whole = events(stream);
        assert_eq!(
            whole,
            [
                SseEvent { event: Some("image_generation.partial_image".into()), data: "{\"a\":1}".into() },
                SseEvent { event: None, data: "line one\nline two".into() },
                SseEvent { event: Some("done".into()), data: "[DONE]".into() },
            ]
        );
        for cut in 1..stream.len() {
            let mut decoder = SseDecoder::default();
            let mut got = decoder.feed(&stream[..cut]);
            got.extend(decoder.feed(&stream[cut..]));
            got.extend(decoder.finish());
            assert_eq!(got, whole, "cut at {cut}");
        }
    }
}
