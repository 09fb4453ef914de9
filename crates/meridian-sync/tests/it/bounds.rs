//! Issue 21: every count a frame carries is bounded, and going past a bound is a clear
//! error naming the limit, at decode, before anything else reads the frame
//! (docs/limits.md lists every bound). Sizes in bytes are covered beside their decoders:
//! `session::frame_limits_are_checked_before_decoding`,
//! `envelope::oversized_input_is_refused_before_parsing`, `membership` (the log),
//! `invite` (the code).

use meridian_sync::wire::{MAX_ERROR_MESSAGE_BYTES, MAX_OPS_PER_FRAME, MAX_VERDICTS_PER_FRAME};
use meridian_sync::{
    CheckpointId, DeviceId, DocumentId, ErrorCode, Frame, JoinError, JoinRequest, Verdict,
    WireError,
};

use crate::support::team;

fn malformed(frame: &Frame) -> String {
    match Frame::decode(&frame.encode()) {
        Err(WireError::Malformed(message)) => message,
        other => panic!("{} over its limit decoded as {other:?}", frame.name()),
    }
}

#[test]
fn counts_in_frames_are_bounded_with_a_clear_error() {
    let verdict = Verdict {
        doc: DocumentId([1; 16]),
        checkpoint: CheckpointId {
            author: DeviceId([2; 32]),
            seq: 3,
        },
        ok: true,
    };
    let at = Frame::Verdicts {
        verdicts: vec![verdict; MAX_VERDICTS_PER_FRAME],
    };
    assert_eq!(Frame::decode(&at.encode()), Ok(at), "at the limit");
    let over = Frame::Verdicts {
        verdicts: vec![verdict; MAX_VERDICTS_PER_FRAME + 1],
    };
    assert_eq!(
        malformed(&over),
        format!(
            "{} verdicts; the limit is {MAX_VERDICTS_PER_FRAME}",
            MAX_VERDICTS_PER_FRAME + 1
        )
    );

    let t = team(90);
    let op = t.log.ops()[0].clone();
    let ops = vec![op; MAX_OPS_PER_FRAME + 1];
    for frame in [
        Frame::Membership {
            start: 0,
            ops: ops.clone(),
        },
        Frame::Register { ops },
    ] {
        assert_eq!(
            malformed(&frame),
            format!(
                "{} membership ops; the limit is {MAX_OPS_PER_FRAME}",
                MAX_OPS_PER_FRAME + 1
            )
        );
    }
    let requests = Frame::JoinRequests {
        requests: vec![Vec::new(); MAX_OPS_PER_FRAME + 1],
    };
    assert_eq!(
        malformed(&requests),
        format!(
            "{} join requests; the limit is {MAX_OPS_PER_FRAME}",
            MAX_OPS_PER_FRAME + 1
        )
    );

    // A peer's error message longer than the limit (ours are cut by `Frame::error`).
    let long = Frame::Error {
        code: ErrorCode::Internal,
        message: "x".repeat(MAX_ERROR_MESSAGE_BYTES + 1),
    };
    assert_eq!(malformed(&long), "error message too long");
}

#[test]
fn an_oversized_join_request_is_refused_before_parsing() {
    let huge = vec![0xff; meridian_sync::invite::MAX_JOIN_REQUEST_BYTES + 1];
    let Err(JoinError::Malformed(message)) = JoinRequest::decode(&huge) else {
        panic!("an oversized join request decoded");
    };
    assert_eq!(
        message,
        format!(
            "{} bytes; the limit is {}",
            huge.len(),
            meridian_sync::invite::MAX_JOIN_REQUEST_BYTES
        )
    );
    // At the limit the bytes are parsed (and these are garbage).
    let Err(JoinError::Malformed(message)) = JoinRequest::decode(&huge[1..]) else {
        panic!("garbage decoded");
    };
    assert!(!message.contains("the limit"), "{message}");
}
