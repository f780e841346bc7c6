//! ISO 7816-4 APDUs, status words, chaining and BER-TLV for cardline.
