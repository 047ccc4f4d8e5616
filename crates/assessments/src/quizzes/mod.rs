//! Quizzes: question banks, quizzes drawn from them, timed attempts and their marking.

pub(crate) mod marking;
