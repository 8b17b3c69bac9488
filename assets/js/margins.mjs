// Progressive enhancement for the planning page: the margin-of-error table follows the sample size as it
// is typed. Without JavaScript, "Show margins of error" asks the server for the same table
// (reviews/sampling.py, whose Wilson interval this mirrors).
const Z_95 = 1.959963984540054;

function wilson(incorrect, reviewed) {
  const share = incorrect / reviewed;
  const z2 = Z_95 * Z_95;
  const centre = (share + z2 / (2 * reviewed)) / (1 + z2 / reviewed);
  const spread =
    (Z_95 / (1 + z2 / reviewed)) * Math.sqrt((share * (1 - share)) / reviewed + z2 / (4 * reviewed * reviewed));
  return [Math.max(0, centre - spread), Math.min(1, centre + spread)];
}

function plannedSize(form) {
  // As the server does: the size of the first category chosen.
  for (const box of form.querySelectorAll("input[name='categories']:checked")) {
    const input = form.querySelector(`input[name='size_${box.value}']`);
    const size = Number.parseInt(input ? input.value : "", 10);
    if (Number.isInteger(size) && size >= 1 && size <= 10000) {
      return size;
    }
  }
  return null;
}

for (const helper of document.querySelectorAll("[data-margin-helper]")) {
  const form = document.getElementById(helper.dataset.marginHelper);
  if (!form) {
    continue;
  }
  const update = () => {
    const size = plannedSize(form);
    if (size === null) {
      return;
    }
    helper.querySelector("[data-margin-size]").textContent = String(size);
    for (const row of helper.querySelectorAll("[data-rate]")) {
      const incorrect = Math.floor(Number(row.dataset.rate) * size + 0.5);
      const [low, high] = wilson(incorrect, size);
      const cells = row.querySelectorAll("td");
      cells[0].textContent = `${incorrect} of ${size} incorrect`;
      cells[1].textContent = `${Math.round(low * 100)}% to ${Math.round(high * 100)}%`;
    }
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
}
