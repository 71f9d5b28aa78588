"""Read models of the gates pages: passages (the live view), the ledger (search and export) and the
alert-period dashboard. The caller's scope comes in as a clause on an enterprise-id column
(``Principal.enterprise_clause``): an enterprise account sees its own, a regulator its regions'."""
