//! The pages, one module per part of the product.

pub(crate) mod account;
pub(crate) mod admin;
pub(crate) mod assignment_editor;
pub(crate) mod assignments;
pub(crate) mod calendar;
pub(crate) mod courses;
pub(crate) mod editor;
pub(crate) mod extensions;
pub(crate) mod gradebook;
pub(crate) mod gradebook_settings;
pub(crate) mod grades;
pub(crate) mod grading;
pub(crate) mod home;
pub(crate) mod lessons;
pub(crate) mod notifications;
pub(crate) mod platform;
pub(crate) mod question_banks;
pub(crate) mod quiz_editor;
pub(crate) mod quizzes;
pub(crate) mod recovery;
pub(crate) mod register;
pub(crate) mod school_sign_up;
pub(crate) mod sign_in;
pub(crate) mod teaching;
pub(crate) mod transcript;
pub(crate) mod views;
