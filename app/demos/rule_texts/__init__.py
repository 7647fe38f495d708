"""The engine rules each later deck's demos rest on, one module per deck, each exporting RULES
(rule name -> what the rule says). app/demos/rules.py merges them with the backprop deck's."""
