//! Reading a list spread over partition keys (`items::list_shard`) back as one,
//! newest first: each shard is read newest first, and the runs are merged.
//!
//! A page's cursor is the sort key of the last item it returned; the next page reads each shard
//! from below it. Sort keys are unique within a list, so no item is returned twice, and an item
//! that did not move while a client paged is returned exactly once.

use std::collections::{HashMap, VecDeque};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use futures::future::try_join_all;
use serde::de::DeserializeOwned;

use riskfeedback::store::{Page, PageRequest, StoreError};

use super::client::{classify, decode};
use super::items::ListName;
use super::{cursor, DynamoStore, Item};

/// One read of a list: where it lives, and the fields its items must also have. Only a list of
/// one principal's items takes such filters, so what they pass over is that principal's.
pub(super) struct ListRead<'a> {
    pub(super) list: ListName,
    pub(super) filters: Vec<(&'a str, String)>,
}

/// What the merge needs next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next<T> {
    /// The newest item no shard can still outrank.
    Item(String, T),
    /// These shards have shown all they read and may hold more: read them on.
    Read(Vec<usize>),
    /// Every shard is read to its end.
    End,
}

struct Shard<T, K> {
    read: VecDeque<(String, T)>,
    /// Where the shard's next read starts; `None` once it is read to its end.
    resume: Option<K>,
    started: bool,
    reads: u32,
}

/// The merge of newest-first runs, one per shard. An item is taken only when every shard that
/// may still hold a newer one has shown its next item, so the merged order is the list's order
/// however the items fall across shards.
pub(super) struct Merge<T, K> {
    shards: Vec<Shard<T, K>>,
}

impl<T, K> Merge<T, K> {
    pub(super) fn new(shards: usize) -> Self {
        Merge {
            shards: (0..shards)
                .map(|_| Shard {
                    read: VecDeque::new(),
                    resume: None,
                    started: false,
                    reads: 0,
                })
                .collect(),
        }
    }

    fn unread(shard: &Shard<T, K>) -> bool {
        shard.read.is_empty() && (!shard.started || shard.resume.is_some())
    }

    pub(super) fn next(&mut self) -> Next<T> {
        let unread: Vec<usize> = (0..self.shards.len())
            .filter(|&i| Self::unread(&self.shards[i]))
            .collect();
        if !unread.is_empty() {
            return Next::Read(unread);
        }
        let newest = (0..self.shards.len())
            .filter_map(|i| self.shards[i].read.front().map(|(key, _)| (key, i)))
            .max()
            .map(|(_, i)| i);
        match newest.and_then(|i| self.shards[i].read.pop_front()) {
            Some((key, item)) => Next::Item(key, item),
            None => Next::End,
        }
    }

    /// A shard's read: its items, newest first, and where it goes on, if it does.
    pub(super) fn add(&mut self, shard: usize, items: Vec<(String, T)>, resume: Option<K>) {
        let shard = &mut self.shards[shard];
        shard.read.extend(items);
        shard.resume = resume;
        shard.started = true;
        shard.reads += 1;
    }

    /// Where a shard's next read starts.
    pub(super) fn resume(&mut self, shard: usize) -> Option<K> {
        self.shards[shard].resume.take()
    }

    /// How many items to read from a shard for a page still short of `wanted`: a fair share
    /// with room to spare, doubled at each further read, so a list whose items crowd into a
    /// few shards still takes few reads.
    pub(super) fn read_size(&self, shard: usize, wanted: usize) -> usize {
        let share = (wanted * 2).div_ceil(self.shards.len()) + 1;
        let grown = share << self.shards[shard].reads.min(8);
        grown.clamp(1, wanted.max(1)).min(MAX_READ)
    }

    /// Whether anything may follow what was taken.
    pub(super) fn more(&self) -> bool {
        self.shards
            .iter()
            .any(|s| !s.read.is_empty() || s.resume.is_some())
    }
}

/// DynamoDB's page is at most 1 MB whatever the limit; a list page is at most 500 items.
const MAX_READ: usize = 500;

impl DynamoStore {
    /// One page of `list`, newest first.
    pub(super) async fn sharded_page<T: DeserializeOwned>(
        &self,
        tenant: &str,
        read: &ListRead<'_>,
        page: &PageRequest,
    ) -> Result<Page<T>, StoreError> {
        let list = &read.list;
        let before = page
            .cursor
            .as_deref()
            .map(|c| cursor::decode_after(tenant, &list.id(), c))
            .transpose()?;
        let limit = page.limit.clamp(1, 500) as usize;
        let partitions = list.partitions();
        let mut merge: Merge<Item, Item> = Merge::new(partitions.len());
        let mut value = Vec::with_capacity(limit);
        let mut last = None;
        while value.len() < limit {
            match merge.next() {
                Next::Item(key, item) => {
                    value.push(decode(item)?);
                    last = Some(key);
                }
                Next::Read(shards) => {
                    let wanted = limit - value.len();
                    let reads = shards.into_iter().map(|shard| {
                        let size = merge.read_size(shard, wanted);
                        let start = merge.resume(shard);
                        let pk = &partitions[shard];
                        self.read_shard(read, shard, pk, before.as_deref(), start, size)
                    });
                    let answers = try_join_all(reads).await?;
                    for (shard, items, resume) in answers {
                        merge.add(shard, items, resume);
                    }
                }
                Next::End => break,
            }
        }
        let next_cursor = match last {
            Some(last) if value.len() == limit && merge.more() => {
                Some(cursor::encode_after(tenant, &list.id(), &last))
            }
            _ => None,
        };
        Ok(Page { value, next_cursor })
    }

    /// One read of one shard, newest first, of items older than `before`.
    async fn read_shard(
        &self,
        read: &ListRead<'_>,
        shard: usize,
        pk: &str,
        before: Option<&str>,
        start: Option<Item>,
        size: usize,
    ) -> Result<(usize, Vec<(String, Item)>, Option<Item>), StoreError> {
        let list = &read.list;
        let mut names = HashMap::from([("#pk".to_string(), list.pk_attribute.to_string())]);
        let mut values = HashMap::from([(":pk".to_string(), AttributeValue::S(pk.to_string()))]);
        let mut condition = "#pk = :pk".to_string();
        if let Some(before) = before {
            names.insert("#sk".to_string(), "gsi1sk".to_string());
            values.insert(":before".to_string(), AttributeValue::S(before.to_string()));
            condition.push_str(" AND #sk < :before");
        }
        let mut filters = Vec::new();
        for (i, (attribute, value)) in read.filters.iter().enumerate() {
            names.insert(format!("#f{i}"), attribute.to_string());
            values.insert(format!(":f{i}"), AttributeValue::S(value.clone()));
            filters.push(format!("#f{i} = :f{i}"));
        }
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(list.index)
            .key_condition_expression(condition)
            .set_filter_expression((!filters.is_empty()).then(|| filters.join(" AND ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .set_exclusive_start_key(start)
            .scan_index_forward(false)
            .limit(size as i32)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(classify)?;
        let units = out
            .consumed_capacity
            .as_ref()
            .and_then(|c| c.capacity_units)
            .unwrap_or_default();
        tracing::debug!(partition = pk, read = out.count, units, "list shard read");
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let key = item
                    .get("gsi1sk")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                (key, item)
            })
            .collect();
        Ok((
            shard,
            items,
            out.last_evaluated_key.filter(|k| !k.is_empty()),
        ))
    }
}

/// An enum filter: its name as stored, which `strum` spells as serde does (`model` tests).
pub(super) fn string_filter<T: std::fmt::Display>(
    attribute: &'static str,
    value: &Option<T>,
) -> Option<(&'static str, String)> {
    value.as_ref().map(|v| (attribute, v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pages of `limit` over shards held in memory, read as `sharded_page` reads DynamoDB.
    fn pages(shards: &[Vec<String>], limit: usize) -> (Vec<Vec<String>>, usize) {
        let mut sorted: Vec<Vec<String>> = shards.to_vec();
        for shard in &mut sorted {
            shard.sort_by(|a, b| b.cmp(a));
        }
        let mut pages = Vec::new();
        let mut before: Option<String> = None;
        let mut reads = 0;
        loop {
            let mut merge: Merge<String, usize> = Merge::new(sorted.len());
            let mut page = Vec::new();
            while page.len() < limit {
                match merge.next() {
                    Next::Item(key, _) => page.push(key),
                    Next::Read(wanted) => {
                        for shard in wanted {
                            let size = merge.read_size(shard, limit - page.len());
                            let from = merge.resume(shard).unwrap_or(0);
                            let older: Vec<&String> = sorted[shard]
                                .iter()
                                .filter(|k| before.as_ref().is_none_or(|b| *k < b))
                                .collect();
                            let items: Vec<(String, String)> = older
                                .iter()
                                .skip(from)
                                .take(size)
                                .map(|k| ((*k).clone(), (*k).clone()))
                                .collect();
                            // DynamoDB resumes whenever it stopped at its limit.
                            let resume = (items.len() == size).then_some(from + size);
                            reads += 1;
                            merge.add(shard, items, resume);
                        }
                    }
                    Next::End => break,
                }
            }
            let more = page.len() == limit && merge.more();
            before = page.last().cloned();
            pages.push(page);
            if !more {
                return (pages, reads);
            }
        }
    }

    #[test]
    fn an_empty_list_is_one_empty_page() {
        let (pages, reads) = pages(&vec![Vec::new(); 16], 10);
        assert_eq!(pages, vec![Vec::<String>::new()]);
        assert_eq!(reads, 16);
    }

    #[test]
    fn a_page_takes_from_every_shard_in_order() {
        let shards = vec![
            vec!["a1".to_string(), "a4".to_string()],
            vec!["b2".to_string(), "b3".to_string()],
            vec!["c5".to_string()],
        ];
        // Sort keys begin with a time; here, with a letter that orders them.
        let (pages, _) = pages(&shards, 2);
        assert_eq!(
            pages,
            vec![
                vec!["c5".to_string(), "b3".to_string()],
                vec!["b2".to_string(), "a4".to_string()],
                vec!["a1".to_string()],
            ]
        );
    }

    #[test]
    fn a_read_is_a_fair_share_with_room_that_doubles_up_to_what_is_wanted() {
        let mut merge: Merge<(), ()> = Merge::new(16);
        assert_eq!(merge.read_size(0, 100), 14, "2 x 100 / 16, and one more");
        assert_eq!(merge.read_size(0, 10), 3);
        assert_eq!(merge.read_size(0, 1), 1, "never more than is wanted");
        merge.add(0, Vec::new(), Some(()));
        assert_eq!(merge.read_size(0, 100), 28);
        assert_eq!(merge.read_size(1, 100), 14, "each shard grows on its own");
        for _ in 0..10 {
            merge.add(0, Vec::new(), Some(()));
        }
        assert_eq!(merge.read_size(0, 500), 500, "up to a page of DynamoDB's");
    }

    #[test]
    fn more_follows_while_a_shard_holds_or_may_read_items() {
        let mut merge: Merge<u8, u8> = Merge::new(2);
        merge.add(0, vec![("b".to_string(), 1)], None);
        merge.add(1, Vec::new(), None);
        assert!(merge.more(), "an item read and not taken");
        assert_eq!(merge.next(), Next::Item("b".to_string(), 1));
        assert!(!merge.more(), "both shards read to their end");
        assert_eq!(merge.next(), Next::End);
        let mut waiting: Merge<u8, u8> = Merge::new(1);
        waiting.add(0, Vec::new(), Some(7));
        assert!(waiting.more(), "a shard that goes on");
        assert_eq!(waiting.next(), Next::Read(vec![0]));
        assert_eq!(waiting.resume(0), Some(7));
    }

    #[test]
    fn one_crowded_shard_takes_few_reads() {
        let mut shards = vec![Vec::new(); 16];
        shards[3] = (0..500).map(|i| format!("{i:04}")).collect();
        let (pages, reads) = pages(&shards, 100);
        assert_eq!(pages[0].len(), 100);
        assert!(reads < 16 * 6 + 6 * 5, "{reads} reads");
    }

    proptest! {
        /// Pages, in order, are the whole list, newest first, each full but the last.
        #[test]
        fn pages_are_the_list_in_order(
            keys in proptest::collection::btree_set("[a-z0-9]{1,6}", 0..200),
            shard_of in proptest::collection::vec(0usize..16, 200),
            limit in 1usize..40,
        ) {
            let mut shards = vec![Vec::new(); 16];
            for (i, key) in keys.iter().enumerate() {
                shards[shard_of[i]].push(key.clone());
            }
            let (pages, _) = pages(&shards, limit);
            let all: Vec<String> = pages.concat();
            let mut expected: Vec<String> = keys.into_iter().collect();
            expected.reverse();
            prop_assert_eq!(&all, &expected);
            for page in &pages[..pages.len() - 1] {
                prop_assert_eq!(page.len(), limit);
            }
        }
    }
}
