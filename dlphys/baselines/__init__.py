"""Classical and optimal references, one module per dataset.

Every chapter compares its network with the best classical answer on the same
data; that answer lives here so that chapters, exercises and tests share it.
"""
