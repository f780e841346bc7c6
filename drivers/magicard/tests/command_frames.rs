//! Every command's frame against fixed byte vectors (`docs/magicard-protocol.md` §1, §4):
//! nine 0x05 guards, 0x01, `REQ,<text>,`, 0x1C, 0x03.

use cardline_magicard::commands::{
    Command, ContactsDown, ContactsUp, CounterKey, Eject, Feed, IdentityKey, ReadCounter,
    ReadErrorCode, ReadHopper, ReadIdentity, ReadLid, ReadPosition, ReadRejectBox, ReadRibbon,
    Reject, Reset,
};

const G: &[u8] = b"\x05\x05\x05\x05\x05\x05\x05\x05\x05";

fn expected(body: &[u8]) -> Vec<u8> {
    [G, b"\x01", body, b"\x1c\x03"].concat()
}

fn frame_of<C: Command>(c: C) -> Vec<u8> {
    c.frame().into_owned()
}

#[test]
fn status_queries_frame_as_req_sta_key() {
    let cases: [(Vec<u8>, &[u8]); 11] = [
        (frame_of(ReadIdentity(IdentityKey::Model)), b"REQ,STA,MDL,"),
        (frame_of(ReadIdentity(IdentityKey::Serial)), b"REQ,STA,MSR,"),
        (
            frame_of(ReadIdentity(IdentityKey::Firmware)),
            b"REQ,STA,VRS,",
        ),
        (
            frame_of(ReadCounter(CounterKey::TotalCards)),
            b"REQ,STA,TCQ,",
        ),
        (
            frame_of(ReadCounter(CounterKey::PanelsRemaining)),
            b"REQ,STA,DFR,",
        ),
        (frame_of(ReadErrorCode), b"REQ,STA,ERR,"),
        (frame_of(ReadPosition), b"REQ,STA,POS,"),
        (frame_of(ReadLid), b"REQ,STA,LID,"),
        (frame_of(ReadHopper), b"REQ,STA,HOP,"),
        (frame_of(ReadRejectBox), b"REQ,STA,RJB,"),
        (frame_of(ReadRibbon), b"REQ,STA,RIB,"),
    ];
    for (frame, body) in cases {
        assert_eq!(frame, expected(body), "{}", body.escape_ascii());
    }
}

#[test]
fn actions_frame_as_req_text() {
    assert_eq!(Reset.frame().as_ref(), expected(b"REQ,RST,"));
    assert_eq!(Feed(1).frame().as_ref(), expected(b"REQ,FEED1,"));
    assert_eq!(ContactsDown.frame().as_ref(), expected(b"REQ,CHPDOWN,"));
    assert_eq!(ContactsUp.frame().as_ref(), expected(b"REQ,CHPUP,"));
    assert_eq!(Eject.frame().as_ref(), expected(b"REQ,EJT,"));
    assert_eq!(Reject.frame().as_ref(), expected(b"REQ,RJT,"));
}

#[test]
fn one_literal_frame_byte_for_byte() {
    // Written out in full once, so the helper above cannot hide a shared mistake.
    assert_eq!(
        ContactsDown.frame().as_ref(),
        &[
            0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x01, b'R', b'E', b'Q', b',',
            b'C', b'H', b'P', b'D', b'O', b'W', b'N', b',', 0x1C, 0x03
        ]
    );
}
