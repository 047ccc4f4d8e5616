# The frame around every page
frame-skip = Skip to the content
frame-nav = Main
frame-footer = Campus Hub
frame-api = API
nav-home = Home
nav-courses = Courses
nav-sign-in = Sign in
nav-sign-out = Sign out

# Forms
form-errors-title = There is a problem
field-school = School
field-school-hint = The short name in your school's address, such as hill-valley.
field-email = Email address
field-password = Password
field-new-password = Password
field-new-password-hint = At least 10 characters. A few unrelated words make a strong one.
field-totp-code = Code from your authenticator app
field-totp-code-hint = Six digits, or one of your recovery codes.
field-join-code = Join code
field-join-code-hint = Your school gives you this code.
field-display-name = Your name
field-school-name = School name
field-slug = School address
field-slug-hint = Lowercase letters, digits and hyphens, such as hill-valley. People type it to sign in.
field-enrollment-code = Enrollment code
field-required = Fill this in.
field-too_long = This is too long.
field-too_short = This is too short.
field-too_weak = Choose a stronger password: add a few more words.
field-invalid_email = Enter an email address such as name@example.org.
field-invalid_slug = Use only lowercase letters, digits and hyphens.
field-invalid = This is not valid.
field-reserved = This name is reserved; choose another.
field-invalid_characters = This holds characters it cannot: use letters, digits and ordinary punctuation.
field-out_of_range = This number is outside what is allowed.
field-too_many = There are too many of these.
field-empty = This is empty.
field-invalid_currency = Use a three-letter currency code such as EUR or USD.
field-malformed_csv = This is not a CSV file a spreadsheet would save: check its quotes and columns.
field-missing_column = A column the file needs is missing; see the columns listed above.
field-wrong_code = That code is not right. Check it and try again.
field-unknown_school = We could not find a school with this address.
field-wrong_join_code = That join code is not right. Ask your school for it.
problem-email_taken = That email address already has an account.
problem-slug_taken = A school already uses this address; choose another.
problem-too-many-attempts = { $seconds ->
    [one] Too many tries. Wait a second and try again.
   *[other] Too many tries. Wait { $seconds } seconds and try again.
}
problem-rate_limited = Too many tries. Wait a moment and try again.
problem-course_archived = This course is archived and takes no one new.
problem-payment_required = This is a paid course: ask a teacher to add you.

# Errors
error-go-home = Go to your home page
error-not-found-heading = Page not found
error-not-found-text = There is nothing at this address. It may have moved, or the link may be mistyped.
error-forbidden-heading = You cannot open this
error-forbidden-text = Your account does not allow this. Ask your teacher or your school's administrator if you need it.
error-refused-heading = That did not work
error-broken-heading = Something went wrong
error-broken-text = Campus Hub could not do this just now. Try again in a moment.

# Signing in
sign-in-title = Sign in
sign-in-submit = Sign in
sign-in-second-factor = Your account is protected by a second step. Enter the code your authenticator app shows.
sign-in-wrong = The school, email address or password is not right.
sign-in-wrong-code = That code is not right. Codes change every 30 seconds; try the newest one.
sign-in-new-here = New here?
sign-in-register = Join your school
sign-in-new-school = Sign up a new school

# Joining a school
register-title = Join your school
register-intro = Create your student account with your school's join code.
register-submit = Create my account
register-have-account = Already have an account?
register-invitation-only = This school adds people by invitation only. Ask your school to invite you.
registered-title = Check your email
registered-text = We sent a message to { $email }. Follow it to continue.

# Signing up a school
school-title = Sign up your school
school-intro = Create your school on Campus Hub and become its first administrator.
school-about-school = Your school
school-about-admin = You, the administrator
school-submit = Create the school

# Dashboard
dashboard-title = Home
dashboard-hello = Hello, { $name }
dashboard-new-school = Your school is ready. Share its join code so students can join, then create your first course.
dashboard-continue = Continue where you left off
dashboard-my-courses = My courses
dashboard-no-courses = You are not enrolled in any course yet.
dashboard-browse = Browse the courses
dashboard-teaching = Courses I run
dashboard-no-teaching = No courses yet: create your first one.
dashboard-join-code = Join code:
dashboard-join-link = Students join at /register with school { $slug } and this code.
dashboard-announcements = Announcements
dashboard-no-announcements = No announcements yet.
progress-label = Progress
progress-lessons = { $done ->
    [one] { $done } lesson done
   *[other] { $done } lessons done
}

dashboard-confirm-email = Confirm your email address: follow the link we sent you. Until then, courses cannot find you by your address.
dashboard-registration = How people join:
registration-open = anyone with the school's address
registration-code = with the join code
registration-invite = by invitation only
lesson-has-video = Video

field-time-zone-school = The school's ({ $zone })
field-school-time-zone = The school's time zone
field-school-time-zone-hint = Due dates and the times pages show are in it, unless a person chooses their own.

# Catalogue
catalogue-title = Courses
catalogue-search-label = Find a course
catalogue-search = Search
catalogue-subject = Subject
catalogue-grade = Grade
catalogue-sort = Order
catalogue-sort-newest = Newest first
catalogue-sort-oldest = Oldest first
catalogue-sort-title = By title
catalogue-apply = Show courses
catalogue-no-match = No course matches these filters.
catalogue-clear = Show all courses
catalogue-empty = No courses yet. Your teachers have not published any.
catalogue-empty-staff = No courses yet: create your first one.
catalogue-results = Courses found
catalogue-more = More courses

# A course
course-draft = Draft
course-yours = Yours
course-grade = Grade { $grade }
course-taught-by = Taught by
course-enroll = Enroll
course-your-progress = Your progress
course-completed = You completed this course on { $when }.
course-continue = Continue: { $lesson }
course-outline = Outline
course-no-modules = This course has no lessons yet.
course-locked = Finish the previous module first

# A lesson
lesson-done = Done
lesson-minutes = { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}
lesson-video = Video: { $lesson }
lesson-attachments = Attachments
lesson-nav = Lessons
lesson-complete-next = Mark complete and continue
lesson-complete = Mark complete

# Recovering an account
sign-in-forgot = Forgot your password?
sign-in-done-reset = Your new password is set. Sign in with it.
sign-in-done-invitation = Your password is set and your account is ready. Sign in.
forgot-title = Forgot your password
forgot-intro = Tell us your school and email address, and we will send you a link to choose a new password.
forgot-submit = Send me a link
forgot-sent = If { $email } has an account at this school, a link to choose a new password is on its way. It works for 30 minutes.
reset-title = Choose a new password
reset-title-intro = Choose a new password for your account. Everywhere you are signed in will be signed out.
invitation-title = Welcome to Campus Hub
invitation-title-intro = You were invited to your school's Campus Hub. Choose a password to finish your account.
new-password-submit = Save my password
verify-title = Confirm your email address
verify-intro = Confirm that this address is yours, so your school and your courses can reach you by it.
verify-submit = Confirm my address
verified-title = Address confirmed
verified-text = Thank you: your email address is confirmed.
problem-invalid_token = This link does not work any more: it was used, or it is too old. Ask for a new one.

# My account
nav-account = My account
account-title = My account
profile-title = Profile
profile-save = Save
profile-saved = Your profile is saved.
field-bio = About me
field-language = Language
field-time-zone = Time zone
field-time-zone-hint = Dates and times are shown in it.
field-invalid_locale = Choose a language from the list.
field-unknown_time_zone = Choose a time zone from the list.
language-browser = My browser's language
language-en = English
language-es = Español
security-title = Security
security-second-factor = Second step at sign-in
security-is-off = Signing in asks only for your password. Add a second step: a code from an authenticator app on your phone.
security-is-on = Signing in asks for a code from your authenticator app. To turn it off, give your password and a current code.
security-set-up = Set up the second step
security-scan = Scan this code with your authenticator app (such as Aegis, Google Authenticator or Microsoft Authenticator), then type the six digits it shows.
security-qr-label = QR code to add Campus Hub to an authenticator app
security-or-type = Or type this key into the app:
security-turn-on = Turn on
security-turn-off = Turn off the second step
security-recovery-codes = Your recovery codes. Keep them somewhere safe: each one signs you in once if you lose your phone. They are shown only now.
security-recovery-codes-label = Recovery codes
security-sessions = Where you are signed in
security-sessions-intro = Each row is a browser or app signed in to your account. End any you do not recognise.
security-started = Signed in
security-last-active = Last active
security-actions = Actions
security-end = Sign out there
security-done-on = The second step is on.
security-done-off = The second step is off.
security-done-session = That session has ended.
security-wrong-password = That password is not right.
security-wrong-password-or-code = The password or the code is not right.

# Building a course
dashboard-create-course = Create a course
course-new-title = New course
course-new-submit = Create the course
field-course-title = Title
field-course-summary = Summary
field-course-summary-hint = One or two sentences for the catalogue.
field-subject = Subject
field-grade-level = Grade
field-tags = Tags
field-tags-hint = Separated by commas, such as cells, genetics.
field-description = Description
field-markdown-hint = Markdown: **bold**, *italic*, # headings, - lists, [links](https://example.org).
field-enrollment-mode = Who may enroll
enrollment-mode-open = Anyone in the school
enrollment-mode-code = Students with the course's enrollment code
enrollment-mode-closed = Only people the teachers add
editor-title = Edit { $course }
editor-state = State
visibility-draft = Draft: only its teachers and the school's admins see it.
visibility-published = Published: students can find it and enroll.
visibility-archived = Archived: its members still read it; no one new joins.
editor-publish = Publish
editor-archive = Archive
editor-duplicate = Duplicate for a new term
editor-details = Details
editor-reorder-hint = Move modules and lessons with their Up and Down buttons, or drag them.
editor-no-modules = No modules yet: add the first one below.
editor-requires-previous = Opens after the previous one
editor-move-up = Up
editor-move-down = Down
editor-add-lesson = Add a lesson
editor-add-module = Add a module
field-module-title = Module title
field-requires-previous = Students finish the previous module first
editor-done-saved = The details are saved.
editor-done-published = The course is published.
editor-done-archived = The course is archived.
editor-done-duplicated = This is the new copy, a draft. Change what the new term needs, then publish it.
editor-done-module = The module is added.
editor-done-lesson = The lesson is saved.
editor-done-deleted = The lesson is deleted.
editor-done-reordered = The new order is saved.
lesson-new-title = New lesson
lesson-edit-title = Edit { $lesson }
field-lesson-title = Lesson title
field-lesson-body = Lesson
field-video-url = Video
field-video-url-hint = A YouTube or Vimeo link, shown above the lesson.
field-minutes = Minutes it takes
field-required-lesson = Counts towards completing the course
field-published-lesson = Students can see it
field-not_a_number = Enter a whole number.
field-invalid_url = Enter a full address starting with https://.
lesson-preview = Preview
lesson-preview-empty = The preview shows the lesson as students will see it.
lesson-delete = Delete this lesson
lesson-delete-warning = Students lose their completion of it. This cannot be undone.
lesson-delete-confirm = Delete the lesson

field-course-language = Language of the course
field-course-language-hint = A language tag such as en or es; blank if it does not matter.
field-public = Anyone in the school may read the lessons, not only its members
field-attachments = Attachments
field-attachments-hint = One per line: a name, a bar, then the address, such as Worksheet | https://example.org/sheet.pdf
editor-module-settings = Rename or remove
editor-delete-module = Remove the module
editor-delete-module-warning = Its lessons go with it, and the progress recorded on them. This cannot be undone.
editor-new-code = New enrollment code
editor-done-code = The course has a new enrollment code; the old one no longer works.
editor-done-module-saved = The module is saved.
editor-done-module-deleted = The module is removed.
people-role-changed = The role is changed.
course-leave = Leave this course
course-done-left = You left the course. You can enroll again while it is open.

# Running a course
course-staff-nav = Course tools
course-edit = Edit the course
course-people = People
course-class-progress = Class progress
announcement-new = New announcement
announcement-post = Post the announcement
field-announcement-title = Title
field-announcement-body = Message
course-done-announced = The announcement is posted; the course's members are told.
people-title = People in { $course }
people-count = { $count ->
    [one] { $count } person
   *[other] { $count } people
}
people-none = No one is in this course yet.
people-role = Role
people-joined = Joined
people-remove = Remove
people-enroll-list = Enroll a class
field-class-list = Email addresses or user ids
field-class-list-hint = One per line. If any line is not right, no one is enrolled and each such line is named.
people-enroll = Enroll them
people-enrolled = { $count ->
    [one] { $count } person enrolled.
   *[other] { $count } people enrolled.
}
people-removed = They are no longer in the course.
people-line = Line { $entry }:
field-unknown_person = No one in the school has this address or id.
field-unconfirmed_address = This account registered itself and has not confirmed its address; add it by its user id if it is the right person.
course-role-teacher = Teacher
course-role-assistant = Assistant
course-role-student = Student
class-title = Progress in { $course }
class-stuck-count = { $count ->
    [0] No student is stuck.
    [one] { $count } student has done nothing for a week.
   *[other] { $count } students have done nothing for a week.
}
class-show-all = Show everyone
class-show-stuck = Show only them
class-none = No students yet.
class-next = Next lesson
class-stuck = Stuck

# Running a school
nav-admin = School
nav-platform = Platform
admin-title = Running the school
admin-people = People
admin-import = Import
admin-school = Settings
admin-audit = Audit log
admin-find-people = Find people
admin-any = Any
admin-status = Status
admin-active = Active
admin-deactivated = Deactivated
admin-no-people = No one matches.
admin-unconfirmed = Address not confirmed
admin-role-of = Role of { $name }
admin-change-role = Change
admin-deactivate = Deactivate
admin-reactivate = Reactivate
admin-reset-2fa = Reset second step
admin-more = More
admin-invite = Invite someone
admin-send-invitation = Send the invitation
admin-done-invited = The invitation is on its way.
admin-done-role = The role is changed; it applies at once.
admin-done-deactivate = They are deactivated: signed out everywhere, and they cannot sign in.
admin-done-reactivate = They are active again.
admin-done-reset-2fa = Their second step is reset; they sign in with their password and can set it up again.
admin-done-school = The school's settings are saved.
admin-done-join-code = The school has a new join code; the old one no longer works.
admin-new-join-code = Make a new join code
admin-new-join-code-hint = Do this if the code reached people outside the school.
admin-audit-action = Action
admin-audit-when = When
admin-audit-who = Who
admin-audit-whom = Whom
admin-audit-detail = Detail
admin-audit-empty = Nothing recorded yet.
role-student = Student
role-teacher = Teacher
role-school_admin = School admin
role-super_admin = Super admin
field-email_taken = That address already has an account at this school.
problem-forbidden = You are not allowed to do that.
import-intro = Add many people at once from a spreadsheet saved as CSV: columns email, display_name (or first_name and last_name), role, and optionally password and grade_level; a OneRoster users.csv works as it is. The file is checked first; nothing is added until you say so.
import-file = CSV file
import-file-hint = Up to 5 MB. People who already have an account are left as they are; people without a password get an invitation.
import-check = Check the file
import-now = Import these people
import-checked = The file is ready to import
import-done = Imported
import-imported = { $count ->
    [one] { $count } person to add.
   *[other] { $count } people to add.
}
import-invited = { $count ->
    [one] { $count } gets an invitation.
   *[other] { $count } get an invitation.
}
import-skipped = { $count ->
    [one] { $count } row left out:
   *[other] { $count } rows left out:
}
import-line = Line
import-why = Why
import-skip-exists = Already has an account
import-skip-unconfirmed = Someone registered this address themselves and has not confirmed it: check who it is
import-skip-inactive = Marked inactive in the file
import-skip-unsupported_role = Guardians and parents have no accounts yet
import-choose-file = Choose a CSV file.
import-row-error = Line { $line }, column { $column }:
import-sending = Sending the file
platform-title = Running the platform
platform-schools = Schools
platform-events = Events
platform-consumers = Consumers
platform-subscription = Subscription
platform-stream = From
platform-lag = Waiting
platform-parked = Parked
platform-unknown = unknown
platform-parked-events = Parked events
platform-none-parked = No event is parked: every consumer is keeping up.
platform-replay-all = Replay every parked event
platform-replay = Replay
platform-event = Event
platform-error = Error
platform-attempts = { $count ->
    [one] { $count } attempt
   *[other] { $count } attempts
}
platform-replayed = { $count } replayed.
platform-failed-again = { $count } failed again.
platform-remaining = { $count } still parked.

# Dates
date-time = { $day } { $month } { $year }, { $time }
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

## Grades
nav-grades = Grades
grades-title = My grades
grades-none = You are not a student in any course yet.
grades-course-grade = Course grade so far
grades-nothing-yet = nothing graded yet
grades-no-items = Nothing to grade in this course yet.
grades-caption = Grades in { $course }
grades-item = Work
grades-points = Points
grades-why = How it counts
grades-what-if = What if
grades-what-if-for = What if I got this many points on { $item }
grades-what-if-help = Type the points you hope for on work not graded yet, and see what your course grade would be. Nothing is saved.
grades-what-if-button = Work out my grade
grades-what-if-result = With those points your grade would be
grades-late = { $points } points off for lateness
grades-status-counted = Counts
grades-status-dropped = Dropped (your lowest)
grades-status-excused = Excused
grades-status-ungraded = Not graded yet
grades-status-missing = Missing: counts as 0
grades-status-overridden = Set by your teacher

## Gradebook
gradebook-title = Gradebook: { $course }
gradebook-download = Download as a spreadsheet (CSV)
gradebook-no-students = No students in this course yet.
course-gradebook = Gradebook

## Assignments
course-assignments = Assignments
assignments-title = Assignments: { $course }
assignments-none = No assignments yet.
assignments-back = All assignments
assignment-draft = Draft
assignment-due = Due { $when }
assignment-cut-off = nothing accepted after { $when }
assignment-points = Points: { $points }
assignment-hand-in = Hand in
assignment-text = Your answer
assignment-link = A link to your work
assignment-file = A file
assignment-file-hint = Drop a file here or choose one; at most { $megabytes } MB.
assignment-uploading = Uploading
assignment-hand-in-button = Hand in
assignment-handed-in = Handed in. Your teacher will see it.
assignment-my-submissions = What you handed in
assignment-submissions = Hand-ins
assignment-no-submissions = Nothing handed in yet.
assignment-attempt = { $number ->
    [one] First attempt
   *[other] Attempt { $number }
}
assignment-days-late = { $days ->
    [one] 1 day late
   *[other] { $days } days late
}
submission-status-submitted = Handed in
submission-status-graded = Graded
submission-status-returned = Returned for revision

## Quizzes
course-quizzes = Quizzes
quizzes-none = No quizzes yet.
quiz-questions = { $count ->
    [one] 1 question
   *[other] { $count } questions
}
quiz-time-limit = { $minutes ->
    [one] 1 minute to answer
   *[other] { $minutes } minutes to answer
}
quiz-opens = opens { $when }
quiz-closes = closes { $when }
quiz-attempts-allowed = { $count ->
    [one] 1 attempt
   *[other] { $count } attempts
}
quiz-start = Start the quiz
quiz-continue = Go back to your attempt
quiz-attempts = Attempts
quiz-no-attempts = No attempts yet.
attempt-status-in_progress = In progress
attempt-status-needs_grading = Waiting for your teacher to mark it
attempt-status-graded = Marked
attempt-question = Question { $number }
attempt-deadline = Time is up at { $when }
attempt-minutes-left = { $minutes ->
    [one] about 1 minute left
   *[other] { $minutes } minutes left
}
attempt-one-minute = One minute left. Your answers are saved; submit when you are ready.
attempt-time-up = Time is up. Your saved answers are being marked.
attempt-true = True
attempt-false = False
attempt-your-answer = Your answer
attempt-your-choice = your choice
attempt-right-answer = right answer
attempt-correct = correct
attempt-save = Save my answers
attempt-submit = Submit
attempt-saved = Your answers are saved.
attempt-saving = Saving…
attempt-autosaved = Saved.
attempt-results-later = your results show when your teacher releases them

## Grading
grading-title = Grading: { $assignment }
grading-nav = Hand-ins
grading-previous = Previous
grading-next = Next
grading-place = Hand-in { $place }
grading-keys = Keyboard: j for the next hand-in, k for the previous one.
grading-work = The work
grading-points = Points (out of { $max })
grading-comment = Comment for the student
grading-save-next = Save the grade and go to the next
grading-return = Return for revision
grading-grade = Grade

## Question banks
course-question-banks = Question banks
banks-title = Question banks · { $course }
banks-intro = Write questions once and draw them into quizzes. Only the course's teachers see a bank: it holds the answers.
banks-none = No question banks yet.
banks-new = Start a question bank
banks-create = Create the bank
banks-back = All question banks
field-bank-title = Bank title
bank-rename = Rename
bank-empty = No questions yet. Add one below.
bank-key = Answer key
bank-edit = Edit
bank-delete = Delete
bank-delete-confirm = Delete this question
bank-add = Add a question
question-kind-single_choice = Single choice
question-kind-multiple_choice = Multiple choice
question-kind-true_false = True or false
question-kind-short_answer = Short answer
question-kind-numeric = Number
question-kind-essay = Essay
question-option-right = right answer
question-option-wrong = wrong
question-marked-by-hand = Marked by the teacher.
question-new-title = New question
question-edit-title = Edit question
question-option = Option { $number }
question-options-hint-one = Write the options and choose the right one. Leave a row blank to skip it.
question-options-hint-many = Write the options and tick every right one. Leave a row blank to skip it.
question-save = Save the question
question-cancel = Back to the bank
field-question-prompt = Question
field-question-points = Points
field-question-options = Options
field-partial-credit = Partial credit: each right option ticked earns its share, each wrong one takes it away
field-question-truth = The right answer
field-question-accepted = Accepted answers
field-question-accepted-hint = One per line. Case and spacing are ignored when marking.
field-question-answer = Right answer
field-question-tolerance = Tolerance (±)
field-not_a_decimal = Enter a number, for example 2.5.
field-no_correct_option = Mark the right answer.
field-one_correct_option = A single-choice question has one right answer; use multiple choice for more.
field-no_accepted_answer = List at least one accepted answer.
field-invalid_prompt = Write the question (at most 10,000 characters).

## Transcript
transcript-title = Transcript
transcript-link = Transcript
transcript-student = Student
transcript-generated = Issued
transcript-print = Print
transcript-none = No courses with grades yet.
transcript-course = Course
transcript-standing = Standing
transcript-items = Graded items
transcript-percent = Grade
transcript-letter = Letter
transcript-in-progress = In progress
transcript-closed = Completed
transcript-left = Left the course

## Setting assignments
assignment-new = New assignment
assignment-edit-title = Assignment settings
assignment-edit = Settings
assignment-create = Create as a draft
assignment-save = Save the settings
assignment-saved = Settings saved.
assignment-publish = Publish
assignment-published = Published: the course's students can see it.
assignment-draft-hint = A draft: only the course's teachers see it until it is published.
assignment-release = Release the grades
assignment-released = Grades released to the students.
assignment-dates = Dates
assignment-dates-hint = In the school's time zone. Leave blank for none.
assignment-late = Late work
assignment-late-hint = Points taken per day late, down to a floor. Leave blank for no penalty.
field-assignment-title = Title
field-instructions = Instructions
field-max-points = Points
field-attempts-allowed = Attempts allowed (0 for no limit)
field-available-from = Opens
field-due-at = Due
field-cut-off-at = Nothing accepted after
field-submission-types = What students hand in
submission-type-text = Text written in the page
submission-type-file = A file
submission-type-link = A link
field-file-types = File types allowed
field-file-types-hint = Checked from the file's contents, not its name.
field-max-file-mb = Largest file (MB)
field-late-percent-per-day = Percent off per day late
field-late-floor-percent = Never below (percent of the points)
field-group-mode = Who hands in
group-mode-individual = Each student
group-mode-group = One hand-in per group
field-release = When students see grades
release-as-graded = As soon as each is graded
release-manual = When I release them
file-type-pdf = PDF
file-type-docx = Word document (.docx)
file-type-odt = OpenDocument text (.odt)
file-type-pptx = PowerPoint presentation (.pptx)
file-type-xlsx = Excel spreadsheet (.xlsx)
file-type-png = PNG image
file-type-jpeg = JPEG image
file-type-text = Plain text

## Setting quizzes
quiz-new = New quiz
quiz-edit-title = Quiz settings
quiz-edit = Settings
quiz-publish = Publish
quiz-release = Release the results
quiz-analysis = How the class answered
quiz-saved = Settings saved.
quiz-published = Published: the course's students can take it.
quiz-released = Results released to the students.
quiz-selection = Questions
quiz-selection-hint = Tick questions every attempt asks, or draw a number of questions from a bank at random for each attempt.
quiz-draw-count = Questions drawn at random from this bank
quiz-draw-points = Points for each drawn question
field-quiz-title = Title
field-opens-at = Opens
field-closes-at = Closes
field-time-limit-minutes = Time limit in minutes (blank for none)
field-keep = Which attempt counts
keep-highest = The best
keep-latest = The latest
keep-average = The average of all
field-shuffle-options = Shuffle the options of each question for each attempt
field-quiz-release = When students see their results and the answers
quiz-release-as-graded = As soon as an attempt is marked
quiz-release-manual = When I release them
analysis-title = How the class answered · { $quiz }
analysis-none = No finished attempts yet.
analysis-answered = { $count ->
    [one] 1 answer
   *[other] { $count } answers
}
analysis-correct = { $count ->
    [one] 1 right
   *[other] { $count } right
}
analysis-average = average { $points }
analysis-options = How many chose each option
analysis-option = Option
analysis-chosen = Chosen by

## Gradebook settings and one grade
gradebook-settings = Grading rules
gradebook-settings-title = Grading rules · { $course }
gradebook-settings-save = Save the rules
gradebook-categories = Categories
gradebook-categories-hint = Group work (homework, quizzes, exams) to weight it and drop each student's lowest marks. Leave a name blank to remove its row.
gradebook-item-categories = Each item's category
gradebook-no-category = No category
gradebook-back = Back to the gradebook
gradebook-change-grade = Change { $student }'s grade on { $item }
field-weighted = Weight the categories (otherwise the grade is total points earned over total points possible)
field-ungraded = Work without a grade
ungraded-exclude = Does not count yet (the grade so far)
ungraded-zero = Counts as zero once it is due (the final grade)
field-category-name = Category
field-category-weight = Weight (%)
field-category-drop = Drop lowest
field-letters = Letter grades
field-letters-hint = One per line, highest first: the letter and the lowest percentage that earns it, for example “A 90”.
field-invalid_letters = Write each line as a letter and a percentage, for example “B 80”.
grade-history = History
grade-history-none = Nothing recorded yet.
grade-change = Change this grade
grade-change-graded = Graded
grade-change-overridden = Set by the teacher
grade-change-override_removed = Teacher's mark taken back
grade-change-excused = Excused
grade-change-unexcused = No longer excused
field-override-points = Points to give instead
field-reason = Reason
field-reason-hint = Kept in the grade's history; the student sees it.
grade-override = Set these points
grade-remove-override = Take my mark back
grade-excuse = Excuse the student
grade-unexcuse = Stop excusing

## Extensions
groups = Groups
groups-title = Groups · { $assignment }
groups-hint = Give students who work together the same group name; leave it empty for a student in no group. One member hands in for the whole group.
groups-student = Student
groups-group = Group
groups-save = Save the groups
groups-saved = Groups saved.
groups-no-students = The course has no students yet.
groups-not-group-work = Each student hands in their own work for this assignment; groups are for group assignments.
extensions = Extensions
extensions-title = Extensions · { $assignment }
extensions-none = No student has dates of their own.
extensions-grant = Give a student more time
extensions-grant-button = Give the extension
extensions-remove = Take back
extensions-choose = Choose a student
field-extension-student = Student
grading-feedback-files = Files handed back
grading-no-feedback-files = No file handed back yet.
grading-feedback-file = A file for the student (a marked-up copy, a recording)
grading-attach = Hand back the file

nav-notifications = Notifications
nav-unread = unread
notifications-title = Notifications
notifications-none = Nothing new. You will find here what happens in your courses: new work, grades, announcements.
notifications-mark-all = Mark all as read
notifications-unread = Unread
notifications-more = Older notifications

## The calendar
nav-calendar = Calendar
calendar-title = Calendar
calendar-none = Nothing is due in your courses in the next 90 days.
calendar-caption = Due in the next 90 days
calendar-when = Due
calendar-what = What
calendar-course = Course
calendar-status = Status
calendar-opens = Opens
calendar-quiz = Quiz
calendar-assignment = Assignment
calendar-done = Handed in
calendar-to-do = To do
calendar-subscribe = In your calendar app
calendar-subscribe-text = Add your due dates to Google Calendar, Outlook or Apple Calendar: subscribe to your private address ("From URL" or "Subscribe to calendar"), and changes arrive by themselves.
calendar-address = Your private calendar address
calendar-private = Anyone with this address can see your due dates. If it gets out, make a new one: the old one stops working.
calendar-copy = Copy
calendar-copied = Copied
calendar-new-address = Make a new address
calendar-stop = Stop this address
calendar-get-address = Get a private calendar address

## What a person is told
notifications-choose = Choose what you are told
preferences-title = What you are told
preferences-saved = Saved. Notifications follow your choice from now on.
preferences-assignments = New work
preferences-assignments-hint = Assignments and quizzes published in your courses.
preferences-submissions = Hand-ins
preferences-submissions-hint = Work handed in to courses you teach.
preferences-grades = Grades
preferences-grades-hint = Your grades and quiz results, once released.
preferences-announcements = Announcements
preferences-announcements-hint = Announcements in your courses.
preferences-courses = Courses
preferences-courses-hint = A place in a course given to you.
preferences-deadlines = Deadlines
preferences-deadlines-hint = Work due within a day that you have not handed in.
preferences-mentions = Mentions
preferences-mentions-hint = Someone named you with @ in a post or comment you can see.
preferences-intro = Choose, for each kind of news, whether Campus Hub shows it and whether it emails you. Email "at once" comes at most every quarter of an hour, gathering what happened meanwhile.
preferences-in-app = Show it in Campus Hub
preferences-by-email = By email
preferences-email-immediately = At once
preferences-email-daily = In the daily digest
preferences-email-off = Never
preferences-when = When email may come
preferences-zone = Times are in your time zone, { $zone }.
preferences-quiet = Hold email during quiet hours
preferences-quiet-from = Quiet from
preferences-quiet-until = Quiet until
preferences-digest-at = Daily digest at
preferences-digest-at-hint = One email a day with everything set to the daily digest.
field-invalid_time = Enter a time such as 07:30.
unsubscribe-title = Stop these emails
unsubscribe-lead = Stop emails about: { $topics }?
unsubscribe-explain = You will still see them in Campus Hub. You can turn email back on in your notification settings.
unsubscribe-button = Stop these emails
unsubscribe-done = Done. You will no longer get emails about: { $topics }.
unsubscribe-already = Emails about { $topics } are already off.
unsubscribe-manage = Choose what you are told
unsubscribe-gone = This address no longer works. Sign in to choose what you are emailed about.
preferences-push = Push to my devices
preferences-devices = Devices
preferences-devices-hint = Browsers where Campus Hub shows notifications even when no page is open. Nothing is pushed in quiet hours.
preferences-no-devices = No device gets notifications yet.
preferences-device = { $service }, since { $since }
preferences-device-stop = Stop
preferences-push-here = Get notifications on this device
preferences-push-on = This device now gets notifications.
preferences-push-failed = This browser could not be set up for notifications (they may be blocked in its settings).
preferences-save = Save
preferences-back = Back to your notifications

rubric = Rubric (optional)
rubric-hint = The criteria the work is judged on, each with levels worth points. The best levels of all criteria add up to the assignment's points. Empty a row to remove it; the blank rows at the end add a level or a criterion.
rubric-criterion = Criterion { $number }
rubric-criterion-title = What is judged
rubric-criterion-description = What to look for (optional)
rubric-level = Level { $number }
rubric-level-title = name
rubric-level-points = points
rubric-shown = How it is graded
rubric-chosen = given
field-rubric_total = The best levels of all criteria must add up to the assignment's points.
field-levels_count = A criterion has 1 to 10 levels.
field-criteria_count = A rubric has 1 to 30 criteria.
nav-messages = Messages
messages-title = Messages
messages-none = No conversations yet. Your courses' class channels appear here once you are in a course.
messages-kind-direct = Direct
messages-kind-group = Group
messages-kind-course = Class channel
messages-unread = { $count ->
    [one] 1 unread
   *[other] { $count } unread
}
messages-start = Start a conversation
messages-no-contacts = There is nobody you can start a conversation with yet. Students write to the teachers and classmates of their courses.
messages-with = With
messages-group-title = Group name (optional)
messages-group-hint = Choose one person for a direct conversation, or several (with a name, if you like) for a group.
messages-start-button = Start
messages-members = Members
messages-older = Older messages
messages-empty = No messages yet. Say hello.
messages-typing = { $name } is typing…
messages-seen-by = Seen by { $names }
messages-deleted = This message was deleted.
messages-hidden = A moderator removed this message.
messages-report = Report this message
messages-file = Send a file
messages-file-hint = A picture, PDF, text or office document, up to 10 MB.
messages-caption = With a message (optional)
messages-send-file = Send the file
messages-file-size = { $kilobytes } KB
messages-edited = (edited)
messages-write = Write a message
messages-body = Message
messages-send = Send
messages-read-only = This conversation is read-only: its course is archived.
field-choose_someone = Choose at least one person.
nav-feed = Feed
nav-moderation = Moderation
feed-title = Feed
feed-new-posts = New posts: show them
feed-empty = Nothing here yet. Posts in the school's feed, your courses and the people you follow appear here.
feed-older = Older posts
feed-write = Post something
feed-nowhere = There is nowhere you can post yet.
posts-title = Post
posts-place = Where
posts-place-school = The school's feed
posts-place-profile = My profile
posts-body = What you want to say
posts-publish = Post
posts-status-held = Waiting for a moderator
posts-status-hidden = Hidden by a moderator
posts-status-visible = Visible
posts-status-deleted = Deleted
posts-reactions = Reactions
posts-comments = { $count ->
    [one] 1 comment
   *[other] { $count } comments
}
posts-comment = Comment
posts-comment-body = Your comment
posts-reply = Reply
posts-reply-body = Your reply
posts-report = Report this post
posts-report-comment = Report this comment
posts-report-reason = What is wrong with it?
posts-report-send = Send the report
posts-reported = Thank you. The moderators will look at it.
posts-picture = Picture
posts-picture-hint = PNG, JPEG, GIF or WebP, up to 10 MB.
posts-picture-description = What the picture shows (for those who cannot see it)
posts-picture-add = Add a picture
posts-picture-replace = Replace the picture
posts-picture-send = Add the picture
reaction-like = Like
reaction-love = Love
reaction-celebrate = Celebrate
reaction-insightful = Insightful
reaction-thanks = Thanks
moderation-title = Moderation
moderation-empty = Nothing is waiting: no reports and nothing held by the word list.
moderation-kind-post = Post
moderation-kind-comment = Comment
moderation-kind-message = Message
moderation-open-post = Open the post
moderation-held = Held by the school's word list.
moderation-reports = { $count ->
    [one] 1 report
   *[other] { $count } reports
}
moderation-note = Note for the audit log (optional)
moderation-hide = Hide
moderation-restore = Restore
moderation-dismiss = Dismiss the reports
profile-follow = Follow
profile-unfollow = Stop following
profile-mute = Mute
profile-unmute = Unmute
profile-block = Block
profile-unblock = Unblock
profile-message = Message
profile-private = The school shows a student's profile to the people of their courses.
profile-post-here = Post on your profile from the feed.
profile-no-posts = No posts on this profile yet.
messages-online = online
admin-community = Community
community-rules = Community rules
community-rules-hint = Students always reach the teachers of their courses, and adults reach a student only through a course they teach.
community-student-messages = Students may message classmates
community-student-messages-hint = Direct and group conversations between students who share a course.
community-school-feed = Students may post to the school's feed
community-school-feed-hint = Otherwise students post in their courses' feeds only; staff always post to the school's feed.
community-profile-posts = Students may post on their profile
community-profile-posts-hint = A student's own profile, seen as the next rule says.
community-public-profiles = Students' profiles are seen by the whole school
community-public-profiles-hint = Otherwise only by the people of their courses and the school's admins.
community-words = Word list
community-words-hint = One word or phrase per line. A post or comment containing one waits for a moderator before anyone else sees it.
community-save = Save the rules
community-saved = The rules are saved. They apply to what is started and written from now on.
messages-change = Edit or delete
messages-new-text = New text
messages-save = Save
messages-delete = Delete for everyone
messages-search = Search this conversation
messages-search-title = Search in { $conversation }
messages-search-open = Show in the conversation

# Search
search-label = Search the school
search-placeholder = Search courses, lessons, posts, people
search-button = Search
search-title = Search
search-title-for = Search: { $query }
search-words = Words
search-kind = Show
search-kind-all = Everything
search-kind-course = Course
search-kind-lesson = Lesson
search-kind-post = Post
search-kind-comment = Comment
search-kind-person = Person
search-start = Type a few words to find courses, lessons, posts and people of your school.
search-trending = Trending this week
search-trending-courses = Courses many joined
search-trending-viewed = Courses many opened
search-trending-posts = Posts people are talking about
search-none-for = No results for “{ $query }”.
search-none-hint = Try fewer words, or other ones.
search-did-you-mean = Did you mean
search-showing-for = Showing results for “{ $query }”.
search-count = { $count ->
    [one] One result
   *[other] { $count } results
}
search-more = More results
search-suggestions-label = Suggestions
search-one-suggestion = 1 suggestion
search-suggestions-many = suggestions
search-no-suggestions = No suggestions
