//! Reasons in plain words for the clerk, per locale (English and German).
//!
//! The locale of a request is `?lang=` if given, else the best match of
//! `Accept-Language`, else English.

use stele_core::verify::ReasonCode;

/// A supported locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    /// English (the default).
    #[default]
    En,
    /// German.
    De,
}

/// Every reason code, in the documented order (PRODUCT.md §6).
pub const ALL_CODES: [ReasonCode; 25] = [
    ReasonCode::Malformed,
    ReasonCode::UnsupportedAlgorithm,
    ReasonCode::BadSignature,
    ReasonCode::InvalidKey,
    ReasonCode::UntrustedIssuer,
    ReasonCode::ClaimMismatch,
    ReasonCode::Expired,
    ReasonCode::NotYetValid,
    ReasonCode::WrongAudience,
    ReasonCode::WrongNonce,
    ReasonCode::Replay,
    ReasonCode::HolderBinding,
    ReasonCode::DisclosureError,
    ReasonCode::KeyBindingError,
    ReasonCode::ProofError,
    ReasonCode::ContextNotAllowed,
    ReasonCode::DidInvalid,
    ReasonCode::ResolutionForbidden,
    ReasonCode::StatusRetrievalError,
    ReasonCode::StatusVerificationError,
    ReasonCode::StatusRangeError,
    ReasonCode::Revoked,
    ReasonCode::Suspended,
    ReasonCode::ResourceLimit,
    ReasonCode::StorageCorrupt,
];

impl Locale {
    /// The BCP 47 tag (`en`, `de`).
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::De => "de",
        }
    }

    /// A locale from a language tag (`de`, `de-AT`, `EN-gb`), if supported.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Locale::En),
            "de" => Some(Locale::De),
            _ => None,
        }
    }

    /// The best supported locale of an `Accept-Language` header (quality
    /// values honoured, ties to the earlier entry); English if none fits.
    pub fn from_accept_language(header: &str) -> Locale {
        let mut best: Option<(f32, Locale)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(l) = Locale::from_tag(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, l));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    /// The plain words for `code` in this locale.
    pub fn reason(self, code: ReasonCode) -> &'static str {
        match self {
            Locale::En => code.plain_words(),
            Locale::De => german(code),
        }
    }

    /// The verdict's headline for the clerk.
    pub fn headline(self, verified: bool) -> &'static str {
        match (self, verified) {
            (Locale::En, true) => "Valid",
            (Locale::En, false) => "Not valid",
            (Locale::De, true) => "Gültig",
            (Locale::De, false) => "Nicht gültig",
        }
    }
}

fn german(code: ReasonCode) -> &'static str {
    match code {
        ReasonCode::Malformed => "Der Code konnte nicht als Nachweis gelesen werden.",
        ReasonCode::UnsupportedAlgorithm => {
            "Der Nachweis ist mit einem Verfahren signiert, das dieser Schalter nicht annimmt."
        }
        ReasonCode::BadSignature => {
            "Die Signatur der ausstellenden Stelle ist ungültig: Der Nachweis wurde verändert oder gefälscht."
        }
        ReasonCode::InvalidKey => "Der Signaturschlüssel ist für Nachweise nicht verwendbar.",
        ReasonCode::UntrustedIssuer => {
            "Die ausstellende Stelle ist für diese Art von Nachweis nicht zugelassen."
        }
        ReasonCode::ClaimMismatch => {
            "Der Inhalt des Nachweises ist widersprüchlich oder nicht das, was dieser Schalter benötigt."
        }
        ReasonCode::Expired => "Der Nachweis ist abgelaufen.",
        ReasonCode::NotYetValid => "Der Nachweis ist noch nicht gültig.",
        ReasonCode::WrongAudience => "Der Nachweis wurde für einen anderen Schalter vorgezeigt.",
        ReasonCode::WrongNonce => {
            "Der Nachweis wurde nicht für die aktuelle Anfrage dieses Schalters vorgezeigt."
        }
        ReasonCode::Replay => {
            "Diese Vorlage wurde bereits einmal verwendet; bitte eine neue anfordern."
        }
        ReasonCode::HolderBinding => {
            "Es konnte nicht bestätigt werden, dass die vorzeigende Person den Nachweis besitzt."
        }
        ReasonCode::DisclosureError => {
            "Die offengelegten Angaben stimmen nicht mit dem überein, was die ausstellende Stelle signiert hat."
        }
        ReasonCode::KeyBindingError => {
            "Die Bestätigung der Vorlage durch die Inhaberin oder den Inhaber ist ungültig."
        }
        ReasonCode::ProofError => "Der Echtheitsnachweis des Nachweises ist ungültig.",
        ReasonCode::ContextNotAllowed => {
            "Der Nachweis verwendet ein Vokabular, das dieser Schalter nicht annimmt."
        }
        ReasonCode::DidInvalid => {
            "Die Kennung der ausstellenden Stelle führt zu keinem gültigen Schlüssel."
        }
        ReasonCode::ResolutionForbidden => {
            "Das Nachschlagen der ausstellenden Stelle ist nach den Regeln dieses Dienstes nicht erlaubt."
        }
        ReasonCode::StatusRetrievalError => {
            "Der Widerrufsstatus des Nachweises konnte nicht abgerufen werden."
        }
        ReasonCode::StatusVerificationError => {
            "Die Widerrufsliste konnte nicht als echt bestätigt werden."
        }
        ReasonCode::StatusRangeError => {
            "Der Widerrufseintrag des Nachweises liegt außerhalb der Liste."
        }
        ReasonCode::Revoked => "Die ausstellende Stelle hat den Nachweis widerrufen.",
        ReasonCode::Suspended => "Die ausstellende Stelle hat den Nachweis vorübergehend gesperrt.",
        ReasonCode::ResourceLimit => "Der Code ist zu groß oder zu komplex für die Verarbeitung.",
        ReasonCode::StorageCorrupt => "Gespeicherte Daten sind beschädigt.",
        // A code added to core later: English until translated.
        other => other.plain_words(),
    }
}

/// A reason message in `locale`: the plain words, then core's technical
/// detail in parentheses when there is one (it never contains claim values).
pub fn localize_message(locale: Locale, code: ReasonCode, core_message: &str) -> String {
    let english = code.plain_words();
    let detail = core_message
        .strip_prefix(english)
        .map(str::trim)
        .filter(|d| !d.is_empty());
    match detail {
        Some(d) => format!("{} {d}", locale.reason(code)),
        None => locale.reason(code).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_words_in_both_locales() {
        let mut seen = std::collections::HashSet::new();
        for code in ALL_CODES {
            assert!(seen.insert(code.as_str()));
            let en = Locale::En.reason(code);
            let de = Locale::De.reason(code);
            assert!(!en.is_empty() && !de.is_empty());
            assert_ne!(en, de, "{} has no German words", code.as_str());
        }
    }

    #[test]
    fn accept_language() {
        assert_eq!(
            Locale::from_accept_language("de-DE,de;q=0.9,en;q=0.8"),
            Locale::De
        );
        assert_eq!(
            Locale::from_accept_language("fr, en;q=0.5, de;q=0.7"),
            Locale::De
        );
        assert_eq!(Locale::from_accept_language("fr"), Locale::En);
        assert_eq!(Locale::from_accept_language(""), Locale::En);
        assert_eq!(Locale::from_accept_language("de;q=0, en"), Locale::En);
        assert_eq!(Locale::from_tag("DE-at"), Some(Locale::De));
    }

    #[test]
    fn messages_keep_the_detail() {
        let core = format!("{} (nonce already used)", ReasonCode::Replay.plain_words());
        let de = localize_message(Locale::De, ReasonCode::Replay, &core);
        assert!(de.starts_with("Diese Vorlage"));
        assert!(de.ends_with("(nonce already used)"));
        assert_eq!(
            localize_message(
                Locale::En,
                ReasonCode::Expired,
                ReasonCode::Expired.plain_words()
            ),
            "The credential has expired."
        );
    }
}
