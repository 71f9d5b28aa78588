"""Pages of the gates subsystem (templates in ``templates/``): the gate live view with its pictures, the ledger
search with XLSX export, and the alert-period dashboard per region."""
