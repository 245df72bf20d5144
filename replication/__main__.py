"""Entry point: ``python -m replication`` reproduces the tables available so far and prints them."""

from replication import elhorst_table_2_2

if __name__ == "__main__":
    print(elhorst_table_2_2.main())
