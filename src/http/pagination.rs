//! Page parameters and the list envelope shared by every list endpoint.

use poem_openapi::Object;
use poem_openapi::types::{ParseFromJSON, ToJSON};

use crate::kit::error::{Result, Validator};

pub const DEFAULT_PAGE_SIZE: i64 = 20;
pub const MAX_PAGE_SIZE: i64 = 100;

#[derive(Object, Clone, Debug)]
pub struct Pagination {
    /// 1-based page number.
    pub page: i64,
    pub page_size: i64,
    /// Items matching across all pages.
    pub total: i64,
    pub total_pages: i64,
    pub has_next: bool,
}

/// A whole list, short enough to answer at once.
#[derive(Object)]
pub struct Listed<T: ParseFromJSON + ToJSON> {
    pub data: Vec<T>,
}

impl<T: ParseFromJSON + ToJSON> Listed<T> {
    pub fn of(data: Vec<T>) -> Self {
        Listed { data }
    }
}

#[derive(Object)]
pub struct Paginated<T: ParseFromJSON + ToJSON> {
    pub data: Vec<T>,
    pub pagination: Pagination,
}

#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub page: i64,
    pub page_size: i64,
}

impl Page {
    pub fn from_query(page: Option<i64>, page_size: Option<i64>) -> Result<Self> {
        let page_number = page.unwrap_or(1);
        let page_size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        let mut v = Validator::new();
        if page_number < 1 {
            v.add("page", "must be 1 or more");
        }
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            v.add("page_size", format!("must be between 1 and {MAX_PAGE_SIZE}"));
        }
        v.finish()?;
        Ok(Self { page: page_number, page_size })
    }

    pub fn limit(&self) -> i64 {
        self.page_size
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.page_size)
    }

    /// One page of a list held whole in memory (short lists such as centres).
    pub fn slice<T: ParseFromJSON + ToJSON>(&self, rows: Vec<T>) -> Paginated<T> {
        let total = rows.len() as i64;
        let data = rows.into_iter().skip(self.offset() as usize).take(self.limit() as usize).collect();
        self.wrap(data, total)
    }

    pub fn wrap<T: ParseFromJSON + ToJSON>(&self, data: Vec<T>, total: i64) -> Paginated<T> {
        let total_pages = (total + self.page_size - 1) / self.page_size;
        Paginated {
            data,
            pagination: Pagination {
                page: self.page,
                page_size: self.page_size,
                total,
                total_pages,
                has_next: self.page < total_pages,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_compute_offsets_and_flags() {
        let page = Page::from_query(Some(3), Some(10)).unwrap();
        assert_eq!(page.offset(), 20);
        let wrapped = page.wrap::<i64>(vec![1], 21);
        assert_eq!(wrapped.pagination.total_pages, 3);
        assert!(!wrapped.pagination.has_next);
        assert!(Page::from_query(Some(2), Some(10)).unwrap().wrap::<i64>(vec![], 21).pagination.has_next);
    }

    #[test]
    fn out_of_range_values_name_their_field() {
        let err = Page::from_query(Some(0), Some(101)).unwrap_err();
        let Some(crate::kit::error::ErrorDetails::Fields(details)) = err.details() else { panic!("{err:?}") };
        assert!(details.fields.contains_key("page_size") && details.fields.contains_key("page"), "{details:?}");
    }
}
