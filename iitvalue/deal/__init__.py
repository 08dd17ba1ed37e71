"""Deal terms valued for both sides: the payment schedule (``payments``), income streams (``streams``), the
kernel that values every component in every development outcome (``kernel``) and the two parties'
expectations, payment table and break-evens (``value``)."""
