"""The conformance checker for other VMMs' arm64 vCPU hotplug tables, and the reference tables to compare with.

* :mod:`.inputs`: a directory of raw tables, one table, or acpidump text;
* :mod:`.context`: the decoded tables and the CPUs as Linux counts them;
  :mod:`.aml_facts` runs the AML (with :mod:`.regmodel`'s register block
  where its layout is QEMU's) for processor devices, ``_STA``, ``_EJ0``,
  the GED and the Notify an event reaches;
* :mod:`.rule` (what a rule is) and one module of rules per table family
  (:mod:`.table_rules`, :mod:`.fadt_rules`, :mod:`.madt_rules`,
  :mod:`.pptt_rules`, :mod:`.dsdt_rules`, :mod:`.x86_rules`), each exporting
  its ``RULES`` and each rule citing ``Documentation/arch/arm64/cpu-hotplug.rst``,
  ACPI 6.5 or the Linux code that enforces it; :mod:`.catalog` lists them all;
* :mod:`.boot`: the prediction: the Linux guest model booted on the tables
  at each guest kernel version it knows, each CPU taken through hot-add,
  hot-remove and re-add (it reads no rule result); :mod:`.findings`;
  :mod:`.report` (the two sections, conformance and prediction, with the
  prediction's assumptions; text and JSON, ``docs/check-json-schema.md``);
  :mod:`.runner` (``check_path``), behind ``vcpu-hotplug check``;
* :mod:`.reference`: what ``vcpu-hotplug tables emit`` writes.

:class:`~.errors.CheckError` is the one error: the input cannot be checked.
"""
