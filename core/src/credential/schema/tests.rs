use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn national_id() -> &'static CredentialType {
    credential_type("NationalIdCredential").expect("built-in type")
}

fn residence_permit() -> &'static CredentialType {
    credential_type("ResidencePermitCredential").expect("built-in type")
}

fn valid_national_id() -> Value {
    json!({
        "id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "given_name": "Erika",
        "family_name": "Mustermann",
        "birth_family_name": "Gabler",
        "birth_date": "1964-08-12",
        "birth_place": "Berlin",
        "nationality": "DEU",
        "sex": "F",
        "document_number": "T22000129",
        "personal_administrative_number": "12345678901",
        "issue_date": "2021-08-02",
        "expiry_date": "2031-08-01",
        "issuing_authority": "Stadt Köln",
        "issuing_country": "DEU",
        "address": {
            "street_address": "Heidestraße 17",
            "locality": "Köln",
            "postal_code": "51147",
            "country": "DEU"
        },
        "portrait": {
            "uri": "https://id.stele.example/portraits/7f3c",
            "digest_sha256": "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
            "media_type": "image/jpeg"
        },
        "age_over_18": true
    })
}

fn valid_residence_permit() -> Value {
    json!({
        "id": "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169",
        "given_name": "Amira",
        "family_name": "Haddad",
        "birth_date": "1992-02-29",
        "birth_place": "Aleppo",
        "nationality": "SYR",
        "sex": "F",
        "document_number": "Y7K2L9P4Q",
        "permit_type": "eu-blue-card",
        "permit_category": "§ 18g AufenthG",
        "remarks": "Beschäftigung nur gemäß Nebenbestimmung",
        "valid_from": "2024-03-01",
        "valid_until": "2028-02-29",
        "issuing_authority": "Landesamt für Einwanderung Berlin",
        "issuing_country": "DEU",
        "access_to_labour_market": true,
        "address": { "locality": "Berlin", "postal_code": "10115", "country": "DEU" },
        "age_over_18": true
    })
}

fn violations(schema: &Schema, instance: &Value) -> Vec<Violation> {
    match schema.validate(instance) {
        Ok(()) => Vec::new(),
        Err(v) => v.0,
    }
}

/// Asserts that `instance` fails with exactly the violation pointers `expected`.
fn check_pointers(schema: &Schema, instance: &Value, expected: &[&str]) {
    let mut got: Vec<String> = violations(schema, instance)
        .into_iter()
        .map(|v| v.pointer)
        .collect();
    got.sort();
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "violations of {instance}");
}

fn load_err(schema: Value) -> SchemaError {
    match Schema::from_json(&schema.to_string()) {
        Ok(_) => panic!("schema should be refused: {schema}"),
        Err(e) => e,
    }
}

#[test]
fn every_builtin_schema_loads() {
    let types = builtin_types();
    assert_eq!(types.len(), BUILTIN_SCHEMAS.len());
    for t in types {
        assert!(t.vct.starts_with("urn:stele:credential:"), "{}", t.vct);
        assert!(t.vct.contains(t.name));
        assert!(!t.claim_names().is_empty());
        assert!(t.schema.id().is_some_and(|id| id.ends_with(".schema.json")));
        assert!(t.schema.title().is_some());
        // Every required claim is a known claim, and every claim is classified.
        for r in t.required_claims() {
            assert!(t.claim_names().contains(&r), "{r}");
        }
        let classified = t.disclosable_by_default().len() + t.always_disclosed().len();
        assert_eq!(classified, t.claim_names().len());
        // Every claim has German and French display names.
        for c in t.claim_names() {
            for locale in ["de", "fr"] {
                let shown = t.display_name(c, locale).expect("claim exists");
                assert_ne!(Some(shown), t.display_name(c, "en"), "{c} in {locale}");
            }
        }
    }
    Schema::from_json(TRUST_FILE_SCHEMA).expect("trust schema loads");
    let _ = trust_file_schema();
}

#[test]
fn lookup_by_name_and_vct() {
    let rp = residence_permit();
    assert_eq!(rp.vct, "urn:stele:credential:ResidencePermitCredential:1");
    assert_eq!(credential_type(&rp.vct).map(|t| t.name), Some(rp.name));
    assert_eq!(
        credential_type("urn:stele:credential:NationalIdCredential:1").map(|t| t.name),
        Some("NationalIdCredential")
    );
    assert!(credential_type("VerifiableCredential").is_none());
    assert!(credential_type("").is_none());
}

#[test]
fn disclosure_classes() {
    let rp = residence_permit();
    let always = rp.always_disclosed();
    for c in [
        "permit_type",
        "valid_from",
        "valid_until",
        "issuing_authority",
        "issuing_country",
        "access_to_labour_market",
    ] {
        assert!(always.contains(&c), "{c} always disclosed");
    }
    let sd = rp.disclosable_by_default();
    for c in [
        "given_name",
        "family_name",
        "birth_date",
        "address",
        "portrait",
        "document_number",
        "nationality",
        "permit_category",
        "remarks",
    ] {
        assert!(sd.contains(&c), "{c} selectively disclosable");
    }
    let ni = national_id();
    assert!(ni.always_disclosed().contains(&"expiry_date"));
    assert!(ni.disclosable_by_default().contains(&"birth_date"));
    assert!(ni.disclosable_by_default().contains(&"age_over_18"));
}

#[test]
fn display_names_fall_back_to_english() {
    let ni = national_id();
    assert_eq!(ni.display_name("birth_date", "en"), Some("Date of birth"));
    assert_eq!(ni.display_name("birth_date", "de"), Some("Geburtsdatum"));
    assert_eq!(ni.display_name("birth_date", "de-AT"), Some("Geburtsdatum"));
    assert_eq!(
        ni.display_name("birth_date", "fr_CH"),
        Some("Date de naissance")
    );
    assert_eq!(ni.display_name("birth_date", "it"), Some("Date of birth"));
    assert_eq!(ni.display_name("birth_date", ""), Some("Date of birth"));
    assert_eq!(ni.display_name("no_such_claim", "de"), None);
}

#[test]
fn required_claims_are_listed() {
    let rp = residence_permit().required_claims();
    for c in [
        "given_name",
        "permit_type",
        "valid_until",
        "issuing_country",
    ] {
        assert!(rp.contains(&c));
    }
    assert!(!rp.contains(&"address"));
}

#[test]
fn realistic_subjects_validate() {
    assert_eq!(national_id().schema.validate(&valid_national_id()), Ok(()));
    assert_eq!(
        residence_permit()
            .schema
            .validate(&valid_residence_permit()),
        Ok(())
    );
    // Only the required claims.
    let mut minimal = valid_residence_permit();
    let obj = minimal.as_object_mut().expect("object");
    let required = residence_permit().required_claims();
    obj.retain(|k, _| required.contains(&k.as_str()));
    assert_eq!(residence_permit().schema.validate(&minimal), Ok(()));
}

#[test]
fn missing_required_claim() {
    let mut s = valid_national_id();
    let obj = s.as_object_mut().expect("object");
    obj.remove("birth_date");
    obj.remove("issuing_country");
    check_pointers(
        &national_id().schema,
        &s,
        &["/birth_date", "/issuing_country"],
    );
}

#[test]
fn wrong_types() {
    let mut s = valid_national_id();
    s["age_over_18"] = json!("yes");
    s["given_name"] = json!(42);
    let v = violations(&national_id().schema, &s);
    check_pointers(&national_id().schema, &s, &["/age_over_18", "/given_name"]);
    assert!(
        v.iter()
            .any(|x| x.message == "expected boolean, found string")
    );
    check_pointers(&national_id().schema, &json!([]), &[""]);
    check_pointers(&national_id().schema, &json!(null), &[""]);
}

#[test]
fn bad_dates() {
    let schema = &national_id().schema;
    for bad in [
        "2023-02-29",
        "2023-13-01",
        "2023-00-10",
        "2023-04-31",
        "2023-4-1",
        "23-04-01",
        "2023-04-01T00:00:00Z",
        "2023/04/01",
        "２０２３-04-01",
        "",
    ] {
        let mut s = valid_national_id();
        s["birth_date"] = json!(bad);
        let v = violations(schema, &s);
        assert_eq!(v.len(), 1, "{bad}: {v:?}");
        assert_eq!(v[0].pointer, "/birth_date");
        assert_eq!(v[0].message, "not a date (YYYY-MM-DD)");
    }
    for good in ["2024-02-29", "2000-02-29", "1999-12-31", "0001-01-01"] {
        let mut s = valid_national_id();
        s["birth_date"] = json!(good);
        assert_eq!(schema.validate(&s), Ok(()), "{good}");
    }
    // 1900 was not a leap year.
    let mut s = valid_national_id();
    s["birth_date"] = json!("1900-02-29");
    check_pointers(schema, &s, &["/birth_date"]);
}

#[test]
fn bad_enum_and_country() {
    let mut s = valid_residence_permit();
    s["permit_type"] = json!("tourist");
    s["nationality"] = json!("syr");
    s["issuing_country"] = json!("DE");
    let v = violations(&residence_permit().schema, &s);
    check_pointers(
        &residence_permit().schema,
        &s,
        &[
            "/permit_type",
            "/nationality",
            "/issuing_country",
            "/issuing_country",
        ],
    );
    assert!(
        v.iter()
            .any(|x| x.pointer == "/permit_type" && x.message.starts_with("not one of"))
    );
}

#[test]
fn additional_properties_refused() {
    let mut s = valid_residence_permit();
    s["favourite_colour"] = json!("blue");
    s["address"]["floor"] = json!(3);
    check_pointers(
        &residence_permit().schema,
        &s,
        &["/favourite_colour", "/address/floor"],
    );
}

#[test]
fn nested_address_and_portrait_errors() {
    let mut s = valid_national_id();
    s["address"] = json!({ "street_address": "", "postal_code": 51147, "country": "Germany" });
    s["portrait"] = json!({ "uri": "not a uri", "digest_sha256": "too+short=" });
    check_pointers(
        &national_id().schema,
        &s,
        &[
            "/address/locality",
            "/address/street_address",
            "/address/postal_code",
            "/address/country",
            "/address/country",
            "/portrait/uri",
            "/portrait/digest_sha256",
            "/portrait/digest_sha256",
        ],
    );
}

#[test]
fn multiple_violations_reported_together() {
    let s = json!({
        "given_name": "",
        "family_name": ["x"],
        "birth_date": "2023-02-29",
        "sex": "Q",
        "nationality": "DEU",
        "document_number": "1",
        "issue_date": "2020-01-01",
        "expiry_date": "2030-01-01",
        "issuing_authority": "A",
        "extra": 1
    });
    let v = violations(&national_id().schema, &s);
    let pointers: Vec<&str> = v.iter().map(|x| x.pointer.as_str()).collect();
    for p in [
        "/given_name",
        "/family_name",
        "/birth_date",
        "/sex",
        "/issuing_country",
        "/extra",
    ] {
        assert!(pointers.contains(&p), "{p} in {pointers:?}");
    }
    let text = SchemaViolations(v).to_string();
    assert!(
        text.contains("/birth_date: not a date (YYYY-MM-DD)"),
        "{text}"
    );
}

#[test]
fn messages_never_contain_instance_values() {
    const SECRET: &str = "Zqxj-SECRET-7731";
    let mut s = valid_national_id();
    for claim in [
        "given_name",
        "birth_date",
        "nationality",
        "sex",
        "issuing_country",
    ] {
        s[claim] = json!(format!("{SECRET}-{claim}"));
    }
    s["age_over_18"] = json!(SECRET);
    s["address"]["country"] = json!(SECRET);
    s["portrait"]["uri"] = json!(format!("{SECRET} with spaces"));
    s["portrait"]["media_type"] = json!(SECRET);
    s["document_number"] = json!(SECRET.repeat(10));
    s["expiry_date"] = json!(77311234);
    let v = residence_permit().schema.validate(&s).expect_err("invalid");
    let v2 = national_id().schema.validate(&s).expect_err("invalid");
    for all in [v, v2] {
        assert!(all.0.len() >= 8, "{all}");
        let text = format!("{all} {all:?}");
        assert!(!text.contains("SECRET"), "{text}");
        assert!(!text.contains("7731"), "{text}");
    }
}

#[test]
fn pointers_are_escaped_and_display_is_log_safe() {
    let schema =
        Schema::from_json(r#"{"type":"object","additionalProperties":false}"#).expect("loads");
    let v = schema
        .validate(&json!({"a/b~c": 1, "line\nbreak": 2}))
        .expect_err("closed");
    assert!(v.has_pointer("/a~1b~0c"));
    assert!(!v.to_string().contains('\n'));
}

#[test]
fn unsupported_keywords_are_refused_at_load() {
    for (schema, keyword) in [
        (
            json!({"type": "string", "pattern": "^[A-Z]{3}$"}),
            "/pattern",
        ),
        (json!({"if": {"type": "string"}, "then": true}), "/if"),
        (json!({"allOf": [true]}), "/allOf"),
        (
            json!({"properties": {"a": {"anyOf": [true]}}}),
            "/properties/a/anyOf",
        ),
        (
            json!({"$defs": {"d": {"patternProperties": {}}}}),
            "/$defs/d/patternProperties",
        ),
        (json!({"uniqueItems": true}), "/uniqueItems"),
        (json!({"$dynamicRef": "#x"}), "/$dynamicRef"),
        (json!({"x-other": 1}), "/x-other"),
    ] {
        assert_eq!(
            load_err(schema),
            SchemaError::UnsupportedKeyword(keyword.into())
        );
    }
    assert_eq!(
        load_err(json!({"type": "string", "format": "email"})),
        SchemaError::UnsupportedFormat("email".into())
    );
    assert!(matches!(
        load_err(json!({"$schema": "http://json-schema.org/draft-07/schema#"})),
        SchemaError::UnsupportedDialect(_)
    ));
}

#[test]
fn malformed_schemas_are_refused() {
    for schema in [
        json!(3),
        json!({"type": "text"}),
        json!({"type": []}),
        json!({"type": ["string", "string"]}),
        json!({"minLength": -1}),
        json!({"minLength": 1.5}),
        json!({"minLength": 3, "maxLength": 2}),
        json!({"enum": []}),
        json!({"required": ["a", "a"]}),
        json!({"required": ["a"], "additionalProperties": false}),
        json!({"items": [true]}),
        json!({"properties": {"a": {"$id": "x"}}}),
        json!({"properties": {"a": {"$defs": {}}}}),
        json!({"x-stele-disclosable": "yes"}),
        json!({"x-stele-title": {"de": 1}}),
        json!({"title": 1}),
    ] {
        assert!(
            matches!(load_err(schema.clone()), SchemaError::Malformed(_)),
            "{schema}"
        );
    }
    assert!(matches!(
        Schema::from_json(r#"{"type":"string","type":"number"}"#),
        Err(SchemaError::Json(JsonError::DuplicateKey(_)))
    ));
    assert!(matches!(Schema::from_json("{"), Err(SchemaError::Json(_))));
}

#[test]
fn refs_resolve_locally_only() {
    let schema = Schema::from_json(
        r##"{
            "$defs": { "code": { "type": "string", "format": "iso3166-alpha3" },
                       "a~b/c": { "const": 1 } },
            "type": "object",
            "properties": {
                "c": { "$ref": "#/$defs/code", "title": "Country" },
                "list": { "type": "array", "items": { "$ref": "#/$defs/code" }, "maxItems": 2 },
                "odd": { "$ref": "#/$defs/a~0b~1c" }
            }
        }"##,
    )
    .expect("loads");
    assert_eq!(
        schema.validate(&json!({"c": "FRA", "list": ["DEU"], "odd": 1.0})),
        Ok(())
    );
    check_pointers(
        &schema,
        &json!({"c": "fr", "list": ["DEU", 1, "ITA"], "odd": 2}),
        &["/c", "/list", "/list/1", "/odd"],
    );
    for r in [
        "#/$defs/missing",
        "https://example.com/s.json",
        "#/properties/c",
        "#",
        "other.json#/$defs/code",
    ] {
        assert!(matches!(
            load_err(json!({"$defs": {"code": true}, "$ref": r})),
            SchemaError::UnresolvedRef(_)
        ));
    }
}

#[test]
fn ref_cycles_are_refused_or_bounded() {
    // A cycle that never descends into the instance would loop forever.
    assert!(matches!(
        load_err(json!({"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"})),
        SchemaError::RefCycle(_)
    ));
    assert!(matches!(
        load_err(json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}})),
        SchemaError::RefCycle(_)
    ));
    // A recursive schema that descends is fine, and bounded by the instance depth.
    let tree = Schema::from_json(
        r##"{
            "$defs": { "node": { "type": "object",
                                 "properties": { "child": { "$ref": "#/$defs/node" } },
                                 "additionalProperties": false } },
            "$ref": "#/$defs/node"
        }"##,
    )
    .expect("recursive schema loads");
    assert_eq!(tree.validate(&json!({"child": {"child": {}}})), Ok(()));
    check_pointers(
        &tree,
        &json!({"child": {"child": {"x": 1}}}),
        &["/child/child/x"],
    );
    let mut deep = json!({});
    for _ in 0..(MAX_INSTANCE_DEPTH + 10) {
        deep = json!({ "child": deep });
    }
    let v = tree.validate(&deep).expect_err("too deep");
    assert_eq!(v.0.len(), 1);
    assert!(v.0[0].message.contains("deeper than"));
}

#[test]
fn schema_depth_is_bounded() {
    let mut s = json!({"type": "string"});
    for _ in 0..(MAX_SCHEMA_DEPTH + 1) {
        s = json!({ "items": s });
    }
    assert!(matches!(
        load_err(s),
        SchemaError::TooDeep | SchemaError::Json(JsonError::TooDeep { .. })
    ));
}

#[test]
fn keyword_semantics() {
    let s = Schema::from_json(
        r#"{
            "type": "object",
            "properties": {
                "n": { "type": ["integer", "null"], "minimum": -2, "maximum": 10 },
                "f": { "type": "number", "minimum": 0.5 },
                "s": { "type": "string", "minLength": 2, "maxLength": 3 },
                "c": { "const": {"a": [1, 2]} },
                "t": { "type": "string", "format": "date-time" },
                "d": { "type": "string", "format": "did" },
                "free": { "additionalProperties": { "type": "boolean" } },
                "no": false,
                "yes": true
            }
        }"#,
    )
    .expect("loads");
    let ok = json!({"n": 10.0, "f": 0.5, "s": "äöü", "c": {"a": [1.0, 2]},
                    "t": "2026-01-01T10:00:00+01:00", "d": "did:web:example.com:user%20a",
                    "free": {"x": true}, "yes": [1]});
    assert_eq!(s.validate(&ok), Ok(()));
    assert_eq!(s.validate(&json!({"n": null})), Ok(()));
    check_pointers(
        &s,
        &json!({"n": 11, "f": 0.49, "s": "äöüß", "c": {"a": [2, 1]},
                "t": "2026-02-30T10:00:00Z", "d": "did:Web:x", "free": {"x": 1}, "no": 0}),
        &["/n", "/f", "/s", "/c", "/t", "/d", "/free/x", "/no"],
    );
    check_pointers(
        &s,
        &json!({"n": 1.5, "s": "a", "t": "2026-01-01"}),
        &["/n", "/s", "/t"],
    );
    check_pointers(&s, &json!({"n": u64::MAX}), &["/n"]);
    check_pointers(&s, &json!({"n": -3}), &["/n"]);
}

#[test]
fn format_checks() {
    assert!(is_uri("https://a.example/x?y=1#z"));
    assert!(is_uri("urn:stele:credential:NationalIdCredential:1"));
    assert!(is_uri("data:,%20"));
    for bad in [
        "",
        "nocolon",
        ":x",
        "1http://x",
        "http:",
        "http://a b",
        "a:%zz",
        "a:é",
        "a:\u{0}",
    ] {
        assert!(!is_uri(bad), "{bad}");
    }
    assert!(is_did(
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    ));
    assert!(is_did(
        "did:ethr:0x1:0xb9c5714089478a327f09197987f16f9e5d936e8a"
    ));
    for bad in [
        "did:",
        "did:key",
        "did:key:",
        "did:KEY:x",
        "did:key:a:",
        "did:key:a b",
        "DID:key:x",
    ] {
        assert!(!is_did(bad), "{bad}");
    }
    assert!(is_date_time("1985-04-12T23:20:50.52Z"));
    assert!(!is_date_time("1985-04-12 23:20:50Z"));
    assert!(!is_date_time("1985-04-12T23:20:50"));
}

#[test]
fn trust_file_schema_checks_trust_files() {
    let schema = trust_file_schema();
    assert_eq!(
        schema.validate(&json!({"issuers": [
            {"did": "did:ethr:0x1:0xb9c5714089478a327f09197987f16f9e5d936e8a",
             "name": "Landesamt für Einwanderung", "types": ["ResidencePermitCredential"]},
            {"did": "did:web:id.stele.example"}
        ]})),
        Ok(())
    );
    check_pointers(
        schema,
        &json!({"issuers": [{"did": "not-a-did", "types": []}, {"types": ["X"], "extra": 1}]}),
        &[
            "/issuers/0/did",
            "/issuers/0/types",
            "/issuers/1/did",
            "/issuers/1/extra",
        ],
    );
    check_pointers(schema, &json!({}), &["/issuers"]);
}

#[test]
fn violation_count_is_capped() {
    let schema = Schema::from_json(r#"{"items": {"type": "string"}}"#).expect("loads");
    let v = schema
        .validate(&Value::Array(vec![json!(1); 1000]))
        .expect_err("invalid");
    assert_eq!(v.0.len(), MAX_VIOLATIONS);
}

#[test]
fn credential_type_requires_annotations() {
    assert!(matches!(
        CredentialType::from_schema_json(
            "X",
            r#"{"properties": {"a": {"title": "A", "x-stele-disclosable": true}}}"#
        ),
        Err(SchemaError::MissingAnnotation(_))
    ));
    assert!(matches!(
        CredentialType::from_schema_json(
            "X",
            r#"{"x-stele-vct": "urn:x", "properties": {"a": {"title": "A"}}}"#
        ),
        Err(SchemaError::MissingAnnotation(_))
    ));
    let t = CredentialType::from_schema_json(
        "X",
        r#"{"x-stele-vct": "urn:x", "properties": {"a": {"title": "A", "x-stele-disclosable": false}}}"#,
    )
    .expect("loads");
    assert_eq!(t.always_disclosed(), vec!["a"]);
}

/// Arbitrary JSON, biased towards the claim names and shapes of the built-in
/// schemas so that validation reaches its nested checks.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,12}".prop_map(Value::String),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}".prop_map(Value::String),
        "[A-Za-z]{3}".prop_map(Value::String),
        "did:[a-z]{1,4}:[a-z0-9:%]{0,8}".prop_map(Value::String),
    ];
    let key = prop_oneof![
        prop::sample::select(vec![
            "given_name",
            "birth_date",
            "nationality",
            "sex",
            "address",
            "portrait",
            "locality",
            "country",
            "uri",
            "digest_sha256",
            "permit_type",
            "valid_until",
            "issuers",
            "did",
            "types",
            "age_over_18",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,6}",
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn validate_never_panics(instance in arb_json()) {
        for t in builtin_types() {
            let _ = t.schema.validate(&instance);
        }
        let _ = trust_file_schema().validate(&instance);
        // Mutating one claim of a valid subject into arbitrary JSON.
        let mut s = valid_residence_permit();
        s["address"] = instance.clone();
        let _ = residence_permit().schema.validate(&s);
    }

    #[test]
    fn loading_never_panics(schema in arb_json()) {
        let _ = Schema::from_json(&schema.to_string());
    }

    #[test]
    fn date_format_matches_calendar(y in 0u32..10000, m in 0u32..14, d in 0u32..33) {
        let text = format!("{y:04}-{m:02}-{d:02}");
        let real = time::Month::try_from(m as u8)
            .ok()
            .and_then(|month| time::Date::from_calendar_date(y as i32, month, d as u8).ok())
            .is_some();
        prop_assert_eq!(is_full_date(&text), real);
    }
}
