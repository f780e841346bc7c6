//! Fixtures for tests against the simulated PIV card.

use cardline_device::{
    EncodingPlan, KeyAlgorithm, KeyRequest, ManagementKey, MasterKey, Pin, PivSlot, Puk,
};
use cardline_sim::card::{SharedSimCard, SimCard, SimCardConfig, SimCardTransport};

/// The management-key master of the test plans.
pub const MASTER: [u8; 32] = [0x3C; 32];

/// Test fixture.
pub fn plan(keys: &[(PivSlot, KeyAlgorithm)]) -> EncodingPlan {
    EncodingPlan {
        card_number: "C-000042".into(),
        transport_pin: Pin::new(b"123456".to_vec()),
        transport_puk: Puk::new(b"12345678".to_vec()),
        transport_management_key: ManagementKey::piv_default(),
        pin: Pin::new(b"918273".to_vec()),
        puk: Puk::new(b"55667788".to_vec()),
        management_key_master: MasterKey::new(MASTER.to_vec()),
        keys: keys
            .iter()
            .map(|&(slot, algorithm)| KeyRequest {
                slot,
                algorithm,
                profile: "auth".into(),
            })
            .collect(),
        guid: *b"cardline-guid-01",
        expiry: "20271231".into(),
    }
}

/// Test fixture.
pub fn card(config: SimCardConfig) -> SharedSimCard {
    SimCardTransport::share(SimCard::new(config))
}

/// Test fixture.
pub fn session_on(card: &SharedSimCard) -> SimCardTransport {
    SimCardTransport::new(card.clone(), "sim reader")
}

/// Test fixture.
pub fn p256_only() -> EncodingPlan {
    plan(&[(PivSlot::AUTHENTICATION, KeyAlgorithm::EccP256)])
}
