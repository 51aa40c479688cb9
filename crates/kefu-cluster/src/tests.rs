use super::*;

fn complaint(key: i64, at: i64, text: &str) -> Complaint<'_> {
    Complaint {
        key,
        buyer: key,
        at,
        text,
        facts: Facts::default(),
    }
}

#[test]
fn a_stalled_parcel_in_other_words_joins_and_a_broken_item_does_not() {
    let mut c = Clusters::default();
    let a = c.add(complaint(1, 0, "快递三天没动了"));
    let b = c.add(complaint(2, 1, "物流一直不更新"));
    let d = c.add(complaint(3, 2, "收到的杯子碎了，外包装都压扁了"));
    assert_eq!(a.cluster, b.cluster);
    assert_ne!(a.cluster, d.cluster);
    let e = c.add(complaint(
        4,
        3,
        "My parcel hasn't moved for a week, tracking not updated",
    ));
    assert_eq!(e.cluster, a.cluster, "the same cause in English");
    assert_eq!(
        c.add(complaint(1, 9, "again")),
        Joined {
            cluster: a.cluster,
            added: false
        }
    );
    let cause = c.get(a.cluster).unwrap().cause();
    assert!(cause.concepts.contains(&"STALLED".to_string()), "{cause:?}");
    assert_eq!(c.get(a.cluster).unwrap().buyers_since(0), 3);
    assert_eq!(c.get(a.cluster).unwrap().buyers_since(1), 2);
}

#[test]
fn the_shared_courier_is_the_cause_and_old_complaints_are_forgotten() {
    let mut c = Clusters::default();
    for key in 0..4 {
        let facts = Facts {
            courier: Some(if key < 3 { "YTO" } else { "SF" }),
            ..Facts::default()
        };
        c.add(Complaint {
            key,
            buyer: key,
            at: key,
            text: "parcel lost",
            facts,
        });
    }
    let cluster = c.of(0).unwrap();
    assert_eq!(cluster.members().len(), 4);
    assert_eq!(cluster.cause().courier.as_deref(), Some("yto"));
    c.forget_before(2);
    assert_eq!(c.len(), 2);
    // What the cluster is about counts the members left, not the forgotten ones.
    let cluster = c.of(2).unwrap();
    let lex = lexicon::lexicon();
    for (&concept, &mass) in &cluster.concepts {
        assert!((mass / lex.concepts[concept].weight - 2.0).abs() < 1e-4);
    }
    assert!(c.of(0).is_none());
    c.forget_before(10);
    assert!(c.is_empty());
    // Nothing of the forgotten clusters is left to compare against.
    assert!(c.postings.is_empty());
}

#[test]
fn pairwise_scores_count_pairs() {
    let s = pairwise(&["a", "a", "b", "b"], &[1, 1, 1, 2]);
    assert!((s.precision - 1.0 / 3.0).abs() < 1e-9, "{s:?}");
    assert!((s.recall - 0.5).abs() < 1e-9, "{s:?}");
}

#[test]
fn a_postcode_names_its_broad_region() {
    use crate::region_of_postcode;
    assert_eq!(region_of_postcode("310012").as_deref(), Some("31"));
    assert_eq!(region_of_postcode("10115").as_deref(), Some("10"));
    assert_eq!(region_of_postcode("sw1a 1aa").as_deref(), Some("SW"));
    assert_eq!(region_of_postcode(" 9 "), None);
}
