"""Calculations over the store, as services of a :class:`~workbench.api.context.Context`.

- :mod:`.paths`: the grammar of lookup paths and the time intervals a member holds in;
- :mod:`.walker`: walking paths over the store, level by level for a whole batch;
- :mod:`.sources`: what a path ends at (sensors, calculations, stored values, the catalog);
- :mod:`.series`: sensors' beliefs read at once as series, one value per event, stitched;
- :mod:`.members`: a lookup's members as series and values;
- :mod:`.resolver`: :class:`~.resolver.StoreResolver`, the language's resolver over the store;
- :mod:`.evaluate`: evaluating expressions, inferring units, reading calculated attributes;
- :mod:`.validate`: checking templates and local expressions when they are saved;
- :mod:`.virtual`: virtual series, expressions stored in the resource catalog.
"""
