// Comfort on top of pages that work without it: nothing here is needed to use Campus Hub.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  // A form that came back with errors: take keyboard and screen-reader focus to the summary,
  // which links to each field.
  const summary = document.getElementById('error-summary');
  if (summary) summary.focus();

  // A form sent once is not sent twice by an impatient second click.
  for (const form of document.querySelectorAll('form[method="post"]')) {
    form.addEventListener('submit', () => {
      for (const button of form.querySelectorAll('button[type="submit"]')) {
        // After the browser has taken the click's value.
        setTimeout(() => { button.disabled = true; }, 0);
      }
    });
  }
});
